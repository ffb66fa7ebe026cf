import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../src/kube/config.js';
import { createOwnerCache, type OwnerCache, type WatchPlan } from '../../src/kube/owner-cache.js';
import { chainText } from '../../src/kube/owner-chain.js';
import { type ChainKind, chainKinds } from '../../src/kube/port.js';
import {
  KUBE_PROMETHEUS_SEED,
  type KubeSim,
  type KubeSimOptions,
  scenarioKubePrometheus,
  startKubeSim,
} from '../support/kube-sim/index.js';
import { captureLogs } from '../support/log-capture.js';
import { waitFor } from '../support/wait.js';

// The owner-chain cache through the real client-node informers against the simulator's kube-prometheus
// scenario: sync, updates through the watch, relist after 410, the API down at start and after sync.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const everything: ReadonlySet<ChainKind> = new Set(chainKinds);
const allNamespaces: WatchPlan = new Map(['shop', 'data', 'platform', 'ml'].map((ns) => [ns, everything]));

async function setup(options: KubeSimOptions = {}, plan: WatchPlan = allNamespaces) {
  const sim = await startKubeSim({ tickMs: 0, randomSeed: KUBE_PROMETHEUS_SEED, ...options });
  scenarioKubePrometheus(sim);
  const dir = mkdtempSync(join(tmpdir(), 'salve-owner-cache-'));
  const logs = captureLogs();
  const kube = createKubeClient({
    kubeconfig: sim.writeKubeconfig(dir),
    log: logs.log,
    informers: { retryMinMs: 20, retryMaxMs: 100 },
  });
  const errors: string[] = [];
  let syncs = 0;
  const cache = createOwnerCache({
    kube,
    now: Date.now,
    settings: { lookupTimeoutMs: 500 },
    onError: (err, where) => errors.push(`${where.namespace}/${where.kind}: ${err.message}`),
    onSynced: () => {
      syncs += 1;
    },
  });
  cleanups.push(async () => {
    await cache.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  cache.watch(plan);
  return { sim, cache, errors, syncs: () => syncs };
}

const synced = (cache: OwnerCache) =>
  waitFor(
    'the owner cache to sync',
    async () => cache.status(),
    (s) => s.synced && s.informers.every((i) => i.failing === undefined),
  );

function topOf(cache: OwnerCache, kind: ChainKind, namespace: string, name: string): string {
  const walk = cache.resolve({ kind, namespace, name });
  return walk.status === 'resolved' ? chainText(namespace, walk.chain) : `${walk.status}`;
}

const podsOf = (sim: KubeSim, ns: string, app: string) =>
  sim.objects
    .list('v1', 'Pod', ns)
    .filter((p) => p.metadata.labels?.app === app && p.metadata.deletionTimestamp === undefined)
    .map((p) => p.metadata.name ?? '');

describe('the owner-chain cache against the simulator', () => {
  it('lists and watches every chain kind in the planned namespaces and resolves each stock alert subject in memory', async () => {
    const { sim, cache } = await setup();
    await synced(cache);
    expect(cache.status().informers).toHaveLength(4 * chainKinds.length);
    const before = sim.requests.length;
    expect(topOf(cache, 'Pod', 'shop', 'checkout-6659b96fbc-87jpc')).toBe(
      'Pod shop/checkout-6659b96fbc-87jpc -> ReplicaSet shop/checkout-6659b96fbc -> Deployment shop/checkout',
    );
    expect(topOf(cache, 'Pod', 'data', 'orders-db-2')).toBe(
      'Pod data/orders-db-2 -> StatefulSet data/orders-db',
    );
    const shipper = sim.objects.list('v1', 'Pod', 'platform')[0]?.metadata.name ?? '';
    expect(topOf(cache, 'Pod', 'platform', shipper)).toBe(
      `Pod platform/${shipper} -> DaemonSet platform/log-shipper`,
    );
    expect(topOf(cache, 'Job', 'ml', 'retrain-fraud-model-29538900')).toBe(
      'Job ml/retrain-fraud-model-29538900 -> CronJob ml/retrain-fraud-model',
    );
    expect(topOf(cache, 'HorizontalPodAutoscaler', 'shop', 'frontend')).toBe(
      'HorizontalPodAutoscaler shop/frontend -> Deployment shop/frontend',
    );
    // Known absent: a synced, healthy informer is trusted without asking the API.
    expect(
      cache.resolve({ kind: 'Pod', namespace: 'shop', name: 'checkout-6659b96fbc-zzzzz' }),
    ).toMatchObject({
      status: 'unresolved',
      why: 'not_found',
    });
    expect(sim.requests.length).toBe(before);
    // Heads only: nothing of the pod's spec or status is kept.
    const status = cache.status().informers.find((i) => i.namespace === 'shop' && i.kind === 'Pod');
    expect(status?.objects).toBe(sim.objects.list('v1', 'Pod', 'shop').length);
  });

  it('follows a rollout through the watch: the new pods resolve, the old ones are gone', async () => {
    const { sim, cache } = await setup({}, new Map([['shop', everything]]));
    await synced(cache);
    const old = podsOf(sim, 'shop', 'checkout');
    sim.objects.delete('apps/v1', 'Deployment', 'shop', 'cart');
    const d = sim.objects.get('apps/v1', 'Deployment', 'shop', 'checkout');
    const spec = d?.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    for (const c of spec.template.spec.containers) c.image = 'registry.example/shop/checkout:2.4.1';
    sim.objects.put(d as never);
    for (let i = 0; i < 4; i++) sim.tick();
    const fresh = podsOf(sim, 'shop', 'checkout').filter((p) => !old.includes(p));
    expect(fresh.length).toBeGreaterThan(0);
    await waitFor(
      'the new pods to resolve',
      async () => fresh.map((p) => topOf(cache, 'Pod', 'shop', p)),
      (tops) => tops.every((t) => t.endsWith('-> Deployment shop/checkout')),
    );
    // cart's pods went with their Deployment (cascading delete), and the cache saw it.
    await waitFor(
      'cart to be gone',
      async () => cache.resolve({ kind: 'Deployment', namespace: 'shop', name: 'cart' }).status,
      (s) => s === 'unresolved',
    );
  });

  it('after its watches end and the history moved on, relists (410 Gone) and catches up', async () => {
    const { sim, cache, syncs } = await setup({ historyLimit: 20 }, new Map([['shop', everything]]));
    await synced(cache);
    const listsBefore = syncs();
    sim.closeWatches();
    for (let i = 0; i < 40; i++)
      sim.objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `churn-${i}` } });
    sim.seed.deployment({ namespace: 'shop', name: 'late', replicas: 1, revisions: [{ image: 'late:1' }] });
    const pod = podsOf(sim, 'shop', 'late')[0] ?? '';
    await waitFor(
      'the pod created while the watches were down',
      async () => topOf(cache, 'Pod', 'shop', pod),
      (t) => t.endsWith('-> Deployment shop/late'),
    );
    expect(syncs()).toBeGreaterThan(listsBefore);
    const watches = sim.requests.filter(
      (r) => r.path === '/api/v1/namespaces/shop/pods' && r.query.watch === 'true',
    );
    expect(watches.at(-1)?.query).toMatchObject({
      allowWatchBookmarks: 'true',
      timeoutSeconds: expect.any(String),
    });
  });

  it('with the API down after sync: answers from what it holds, reads on a miss fail fast, and it recovers', async () => {
    const { sim, cache, errors } = await setup({}, new Map([['shop', everything]]));
    await synced(cache);
    sim.faults.failNext({}, 503, Number.POSITIVE_INFINITY);
    sim.closeWatches();
    // The Pod informer's own failure: a miss on pods is trusted as absent until then.
    await waitFor(
      'the Pod informer to notice',
      async () => cache.status(),
      (s) => s.informers.some((i) => i.kind === 'Pod' && i.failing),
    );
    expect(errors.join('\n')).toMatch(/shop\/Pod: .*503/);
    // What it holds still resolves, in memory.
    expect(topOf(cache, 'Pod', 'shop', 'checkout-6659b96fbc-87jpc')).toMatch(/-> Deployment shop\/checkout$/);
    // A miss is no longer trusted as absent: the one read by name fails, so the answer is `unavailable`.
    const started = Date.now();
    const missing = await cache.resolveOrLookup({ kind: 'Pod', namespace: 'shop', name: 'new-pod-abcde' });
    expect(missing).toMatchObject({ status: 'unavailable', missing: { kind: 'Pod', name: 'new-pod-abcde' } });
    expect(Date.now() - started).toBeLessThan(5_000);
    sim.faults.clear();
    sim.seed.deployment({ namespace: 'shop', name: 'late', replicas: 1, revisions: [{ image: 'late:1' }] });
    const pod = podsOf(sim, 'shop', 'late')[0] ?? '';
    await waitFor(
      'recovery',
      async () => ({ top: topOf(cache, 'Pod', 'shop', pod), status: cache.status() }),
      (r) => r.top.endsWith('-> Deployment shop/late') && r.status.informers.every((i) => !i.failing),
    );
  });

  it('with the API down from the start: never synced, every resolution unavailable, then it syncs', async () => {
    const { sim, cache } = await (async () => {
      const s = await setup({}, new Map());
      s.sim.faults.failNext({}, 503, Number.POSITIVE_INFINITY);
      s.cache.watch(new Map([['shop', everything]]));
      return s;
    })();
    await waitFor(
      'failures',
      async () => cache.status(),
      (s) => s.informers.every((i) => i.failing !== undefined),
    );
    expect(cache.status().synced).toBe(false);
    const subject = { kind: 'Pod' as const, namespace: 'shop', name: 'checkout-6659b96fbc-87jpc' };
    expect(cache.resolve(subject)).toMatchObject({ status: 'unknown', missing: { kind: 'Pod' } });
    expect(await cache.resolveOrLookup(subject)).toMatchObject({ status: 'unavailable' });
    sim.faults.clear();
    await synced(cache);
    expect(topOf(cache, 'Pod', 'shop', subject.name)).toMatch(/-> Deployment shop\/checkout$/);
  });

  it('outside the watched namespaces, a miss is read by name within the deadline (once per object)', async () => {
    const { sim, cache } = await setup({}, new Map());
    const first = await cache.resolveOrLookup({
      kind: 'Pod',
      namespace: 'shop',
      name: 'checkout-6659b96fbc-87jpc',
    });
    expect(first.status === 'resolved' && chainText('shop', first.chain)).toMatch(
      /-> Deployment shop\/checkout$/,
    );
    const reads = sim.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    expect(reads).toEqual([
      '/api/v1/namespaces/shop/pods/checkout-6659b96fbc-87jpc',
      '/apis/apps/v1/namespaces/shop/replicasets/checkout-6659b96fbc',
      '/apis/apps/v1/namespaces/shop/deployments/checkout',
    ]);
    // A sibling pod: its ReplicaSet and Deployment were just read, so only the pod is.
    const sibling = await cache.resolveOrLookup({
      kind: 'Pod',
      namespace: 'shop',
      name: 'checkout-6659b96fbc-f7blj',
    });
    expect(sibling.status).toBe('resolved');
    expect(sim.requests.filter((r) => r.method === 'GET')).toHaveLength(4);
    expect(await cache.resolveOrLookup({ kind: 'Pod', namespace: 'shop', name: 'gone-12345' })).toMatchObject(
      {
        status: 'unresolved',
        why: 'not_found',
      },
    );
    // A slow API: the read is abandoned at the deadline.
    sim.faults.delay({ path: /\/pods\/slow-/ }, 3_000);
    const started = Date.now();
    expect(await cache.resolveOrLookup({ kind: 'Pod', namespace: 'shop', name: 'slow-pod' })).toMatchObject({
      status: 'unavailable',
    });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('stops the informers of namespaces no longer planned', async () => {
    const { cache } = await setup(
      {},
      new Map([
        ['shop', everything],
        ['data', everything],
      ]),
    );
    await synced(cache);
    cache.watch(new Map([['data', new Set<ChainKind>(['Pod', 'StatefulSet'])]]));
    expect(
      cache
        .status()
        .informers.map((i) => `${i.namespace}/${i.kind}`)
        .sort(),
    ).toEqual(['data/Pod', 'data/StatefulSet']);
    expect(cache.resolve({ kind: 'Pod', namespace: 'shop', name: 'checkout-6659b96fbc-87jpc' }).status).toBe(
      'unknown',
    );
  });
});
