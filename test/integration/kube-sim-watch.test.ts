import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeSim, type KubeSimOptions, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';

// List + watch as an owner-chain cache does it, through the real @kubernetes/client-node informer and Watch.

const ns = 'ml-prod';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function cluster(options: KubeSimOptions = {}): Promise<{ sim: KubeSim; kc: KubeConfig }> {
  const sim = await startKubeSim({ tickMs: 0, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-watch-'));
  cleanups.push(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  scenarioDemo(sim);
  const kc = new KubeConfig();
  kc.loadFromFile(sim.writeKubeconfig(dir));
  return { sim, kc };
}

/** Resolves once `check` holds, re-checking on every call of the returned poke (no fixed sleeps). */
function until(check: () => boolean): { poke: () => void; done: Promise<void> } {
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const poke = () => {
    if (check()) resolve();
  };
  return { poke, done };
}

const names = (objs: readonly KubernetesObject[]) => objs.map((o) => o.metadata?.name ?? '').sort();
const simPods = (sim: KubeSim) =>
  sim.objects
    .list('v1', 'Pod', ns)
    .filter((p) => p.metadata.deletionTimestamp === undefined)
    .map((p) => p.metadata.name ?? '')
    .sort();

function restart(sim: KubeSim, at: string): void {
  const d = sim.objects.get('apps/v1', 'Deployment', ns, 'fraud-scorer');
  if (d === undefined) throw new Error('no deployment');
  const spec = d.spec as { template: { metadata: { annotations?: Record<string, string> } } };
  spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': at };
  sim.objects.put(d);
  sim.tick();
}

describe('kube-sim list + watch with the real client-node informer', () => {
  it('an all-namespaces pod informer with a label selector follows a rollout: new pods added, old ones deleted', async () => {
    const { sim, kc } = await cluster();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(
      kc,
      '/api/v1/pods',
      () => core.listPodForAllNamespaces({ labelSelector: 'app=fraud-scorer' }),
      'app=fraud-scorer',
    );
    cleanups.push(() => informer.stop());
    const added: string[] = [];
    const deleted: string[] = [];
    const synced = until(() => informer.list().length === 3);
    informer.on('add', (p) => {
      added.push(p.metadata?.name ?? '');
      synced.poke();
    });
    informer.on('delete', (p) => deleted.push(p.metadata?.name ?? ''));
    await informer.start();
    synced.poke();
    await synced.done;
    const before = simPods(sim);
    expect(names(informer.list(ns))).toEqual(before);
    const rolled = until(() => deleted.length === 3 && informer.list().length === 3);
    informer.on('change', rolled.poke);
    restart(sim, '2026-03-01T10:00:00Z');
    await rolled.done;
    expect(deleted.sort()).toEqual(before);
    expect(names(informer.list())).toEqual(simPods(sim));
    expect(added).toHaveLength(6);
    // The watch resumed from the list's resourceVersion with the selector, like an informer on a cluster.
    const watch = sim.requests.find((r) => r.path === '/api/v1/pods' && r.query.watch === 'true');
    expect(watch?.query).toMatchObject({
      labelSelector: 'app=fraud-scorer',
      resourceVersion: expect.any(String),
    });
  });

  it('after the server ends its watches and the history moved on, the informer gets 410 Expired, relists and catches up', async () => {
    const { sim, kc } = await cluster({ historyLimit: 20 });
    const apps = kc.makeApiClient(AppsV1Api);
    const informer = makeInformer(kc, `/apis/apps/v1/namespaces/${ns}/replicasets`, () =>
      apps.listNamespacedReplicaSet({ namespace: ns }),
    );
    cleanups.push(() => informer.stop());
    const synced = until(() => informer.list().length === 2);
    informer.on('add', synced.poke);
    await informer.start();
    synced.poke();
    await synced.done;
    sim.closeWatches();
    for (let i = 0; i < 30; i++)
      sim.objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `churn-${i}` } });
    const caughtUp = until(() => informer.list().length === 3);
    informer.on('add', caughtUp.poke);
    restart(sim, '2026-03-01T11:00:00Z');
    await caughtUp.done;
    const lists = sim.requests.filter((r) => r.path.endsWith('/replicasets') && r.query.watch === undefined);
    expect(lists.length).toBeGreaterThanOrEqual(2);
    expect(names(informer.list())).toEqual(
      names(sim.objects.list('apps/v1', 'ReplicaSet', ns) as unknown as KubernetesObject[]),
    );
  });
});

describe('kube-sim watch semantics', () => {
  type Event = { type: string; object: KubernetesObject & { metadata: { resourceVersion?: string } } };

  async function watchEvents(kc: KubeConfig, path: string, query: Record<string, string>) {
    const events: Event[] = [];
    let wake: () => void = () => undefined;
    const req = await new Watch(kc).watch(
      path,
      query,
      (type, object) => {
        events.push({ type, object });
        wake();
      },
      () => undefined,
    );
    cleanups.push(() => req.abort());
    const waitFor = (pred: (e: Event[]) => boolean) =>
      new Promise<void>((resolve) => {
        wake = () => {
          if (pred(events)) resolve();
        };
        wake();
      });
    return { events, waitFor };
  }

  it('a label change makes an object enter (ADDED) or leave (DELETED) a selector-filtered watch', async () => {
    const { sim, kc } = await cluster();
    const list = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
    const w = await watchEvents(kc, `/api/v1/namespaces/${ns}/pods`, {
      labelSelector: 'tier=canary',
      resourceVersion: list.metadata?.resourceVersion ?? '',
    });
    const pod = sim.objects.list('v1', 'Pod', ns)[0];
    if (pod === undefined) throw new Error('no pod');
    sim.objects.put({
      ...pod,
      metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, tier: 'canary' } },
    });
    const current = sim.objects.get('v1', 'Pod', ns, pod.metadata.name ?? '');
    if (current === undefined) throw new Error('pod gone');
    sim.objects.put({ ...current, metadata: { ...current.metadata, labels: { app: 'fraud-scorer' } } });
    await w.waitFor((e) => e.length === 2);
    expect(w.events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', pod.metadata.name],
      ['DELETED', pod.metadata.name],
    ]);
    // The DELETED event carries the object as it last matched, at the resourceVersion of the change.
    expect(w.events[1]?.object.metadata.labels).toMatchObject({ tier: 'canary' });
    expect(w.events[1]?.object.metadata.resourceVersion).toBe(
      sim.objects.get('v1', 'Pod', ns, pod.metadata.name ?? '')?.metadata.resourceVersion,
    );
  });

  it('a spec.nodeName field selector sees the pods a node gets, as a kubelet watches them', async () => {
    const { sim, kc } = await cluster();
    const w = await watchEvents(kc, '/api/v1/pods', { fieldSelector: 'spec.nodeName=worker-1' });
    await w.waitFor((e) => e.length >= 1);
    const initial = w.events.length;
    expect(w.events.every((e) => (e.object as V1Pod).spec?.nodeName === 'worker-1')).toBe(true);
    sim.objects.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'debug', namespace: ns },
      spec: { nodeName: 'worker-1', containers: [{ name: 'sh', image: 'busybox:1.36' }] },
    });
    sim.tick();
    await w.waitFor((e) =>
      e.some((x) => x.object.metadata.name === 'debug' && (x.object as V1Pod).status?.phase === 'Running'),
    );
    expect(w.events.slice(initial).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED']);
  });

  it('sends BOOKMARK events with the current resourceVersion when asked, and none otherwise', async () => {
    const { sim, kc } = await cluster({ watchBookmarkMs: 20 });
    const rv = sim.objects.list('apps/v1', 'Deployment', ns)[0]?.metadata.resourceVersion ?? '';
    const marked = await watchEvents(kc, `/apis/apps/v1/namespaces/${ns}/deployments`, {
      resourceVersion: rv,
      allowWatchBookmarks: 'true',
    });
    const plain = await watchEvents(kc, `/apis/apps/v1/namespaces/${ns}/deployments`, {
      resourceVersion: rv,
    });
    await marked.waitFor((e) => e.filter((x) => x.type === 'BOOKMARK').length >= 2);
    sim.objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'moves-rv' } });
    const after = marked.events.length;
    await marked.waitFor((e) => e.length > after);
    const last = marked.events.at(-1);
    expect(last).toMatchObject({ type: 'BOOKMARK', object: { kind: 'Deployment', apiVersion: 'apps/v1' } });
    expect(Number(last?.object.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(plain.events).toEqual([]);
  });

  it('serves Nodes cluster-scoped: cordon is a PATCH of spec.unschedulable, selectable by field', async () => {
    const { kc } = await cluster();
    const core = kc.makeApiClient(CoreV1Api);
    const nodes = await core.listNode();
    expect(names(nodes.items)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    await core.patchNode(
      { name: 'worker-2', body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const cordoned = await core.listNode({ fieldSelector: 'spec.unschedulable=true' });
    const open = await core.listNode({ fieldSelector: 'spec.unschedulable=false' });
    expect(names(cordoned.items)).toEqual(['worker-2']);
    expect(names(open.items)).toEqual(['worker-1', 'worker-3']);
  });

  it('lists HorizontalPodAutoscalers (autoscaling/v2) with their scaleTargetRef and status', async () => {
    const { sim, kc } = await cluster();
    sim.seed.hpa({
      namespace: ns,
      name: 'fraud-scorer',
      target: { name: 'fraud-scorer' },
      maxReplicas: 3,
      desiredReplicas: 3,
    });
    sim.tick();
    const hpas = await kc
      .makeApiClient(AutoscalingV2Api)
      .listHorizontalPodAutoscalerForAllNamespaces({ fieldSelector: 'metadata.namespace=ml-prod' });
    expect(hpas.items).toHaveLength(1);
    expect(hpas.items[0]?.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'fraud-scorer',
    });
    expect(hpas.items[0]?.spec?.minReplicas).toBe(1);
    expect(hpas.items[0]?.status).toMatchObject({ currentReplicas: 3, desiredReplicas: 3 });
  });
});
