import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let dir: string;
let kc: KubeConfig;

beforeAll(async () => {
  sim = await startKubeSim({ tickMs: 0 });
  scenarioDemo(sim);
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-client-'));
  kc = new KubeConfig();
  kc.loadFromFile(sim.writeKubeconfig(dir, { namespace: 'ml-prod' }));
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** client-node leaves the Status of unlisted codes as a raw JSON string. */
async function statusOf(
  p: Promise<unknown>,
): Promise<{ code: number; reason: string; body: Record<string, unknown> }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  const e = err as ApiException<unknown>;
  const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as Record<string, unknown>;
  return { code: e.code, reason: String(body.reason), body };
}

const ns = 'ml-prod';

describe('kube-sim with the real @kubernetes/client-node', () => {
  it('reads the demo Deployment and lists its ReplicaSets by equality and set-based selectors', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'fraud-scorer', namespace: ns });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.spec?.template.spec?.containers[0]?.image).toBe('registry.example/fraud-scorer:1.5.0');
    expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
    const byEq = await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=fraud-scorer' });
    const bySet = await apps.listNamespacedReplicaSet({
      namespace: ns,
      labelSelector: 'app in (fraud-scorer,other)',
    });
    const none = await apps.listNamespacedReplicaSet({
      namespace: ns,
      labelSelector: 'app notin (fraud-scorer)',
    });
    expect(
      byEq.items.map((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision']).sort(),
    ).toEqual(['1', '2']);
    expect(bySet.items).toHaveLength(2);
    expect(none.items).toHaveLength(0);
    for (const rs of byEq.items) {
      expect(rs.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'Deployment',
        uid: d.metadata?.uid,
        controller: true,
      });
      expect(rs.metadata?.labels?.['pod-template-hash']).toBe(
        rs.metadata?.name?.replace('fraud-scorer-', ''),
      );
    }
    expect(byEq.metadata?.resourceVersion).toMatch(/^\d+$/);
  });

  it('filters lists by metadata.name field selector and answers 400 for unsupported field labels', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const hit = await batch.listNamespacedCronJob({
      namespace: ns,
      fieldSelector: 'metadata.name=retrain-fraud-scorer',
    });
    const miss = await batch.listNamespacedCronJob({ namespace: ns, fieldSelector: 'metadata.name=nope' });
    expect(hit.items.map((c) => c.metadata?.name)).toEqual(['retrain-fraud-scorer']);
    expect(miss.items).toEqual([]);
    const bad = await statusOf(
      batch.listNamespacedCronJob({ namespace: ns, fieldSelector: 'spec.schedule=x' }),
    );
    expect(bad).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('applies JSON, merge and strategic merge patches with the content type the client sends', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const before = await apps.readNamespacedDeployment({ name: 'fraud-scorer', namespace: ns });
    const json = [
      { op: 'add', path: '/spec/template/metadata/annotations', value: { 'example.org/a': '1' } },
    ];
    await apps.patchNamespacedDeployment({ name: 'fraud-scorer', namespace: ns, body: json });
    await apps.patchNamespacedDeployment(
      { name: 'fraud-scorer', namespace: ns, body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const smp = {
      spec: {
        template: {
          metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } },
        },
      },
    };
    const after = await apps.patchNamespacedDeployment(
      { name: 'fraud-scorer', namespace: ns, body: smp },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(after.spec?.replicas).toBe(4);
    expect(after.spec?.template.metadata?.annotations).toEqual({
      'example.org/a': '1',
      'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z',
    });
    expect(after.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 3);
    const types = sim
      .mutations()
      .filter((r) => r.method === 'PATCH')
      .map((r) => r.contentType);
    expect(types.slice(-3)).toEqual([
      PatchStrategy.JsonPatch,
      PatchStrategy.MergePatch,
      PatchStrategy.StrategicMergePatch,
    ]);
  });

  it('answers a stale resourceVersion with 409 Conflict and an existing name with 409 AlreadyExists', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: 'fraud-scorer', namespace: ns });
    await apps.patchNamespacedDeployment(
      { name: 'fraud-scorer', namespace: ns, body: { metadata: { labels: { touched: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const conflict = await statusOf(
      apps.replaceNamespacedDeployment({ name: 'fraud-scorer', namespace: ns, body: d }),
    );
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(conflict.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      details: { name: 'fraud-scorer', group: 'apps', kind: 'deployments' },
    });
    expect(String(conflict.body.message)).toContain('the object has been modified');
    const batch = kc.makeApiClient(BatchV1Api);
    const job = {
      metadata: { name: 'retrain-x' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 'i:1' }] } } },
    };
    await batch.createNamespacedJob({ namespace: ns, body: job });
    const exists = await statusOf(batch.createNamespacedJob({ namespace: ns, body: job }));
    expect(exists).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });

  it('answers 404 NotFound, 404 for a missing namespace and 422 Invalid with causes', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    expect(await statusOf(apps.readNamespacedDeployment({ name: 'nope', namespace: ns }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
    });
    const body = {
      metadata: { name: 'bad' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    };
    expect(await statusOf(apps.createNamespacedDeployment({ namespace: 'ghost', body }))).toMatchObject({
      code: 404,
    });
    const invalid = await statusOf(apps.createNamespacedDeployment({ namespace: ns, body }));
    expect(invalid).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(invalid.body.details).toMatchObject({
      causes: [{ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid' }],
    });
  });

  it('serves the scale subresource and keeps status out of main-resource writes', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'fraud-scorer', namespace: ns });
    expect(scale.status?.selector).toBe('app=fraud-scorer');
    const scaled = await apps.patchNamespacedDeploymentScale(
      { name: 'fraud-scorer', namespace: ns, body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(scaled.spec?.replicas).toBe(2);
    const ignored = await apps.patchNamespacedDeployment(
      { name: 'fraud-scorer', namespace: ns, body: { status: { replicas: 99 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(ignored.status?.replicas).not.toBe(99);
    const viaStatus = await apps.patchNamespacedDeploymentStatus(
      { name: 'fraud-scorer', namespace: ns, body: { status: { replicas: 99 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(viaStatus.status?.replicas).toBe(99);
    expect(viaStatus.metadata?.generation).toBe(ignored.metadata?.generation);
  });

  it('records events.k8s.io Events with MicroTime, refuses a millisecond eventTime with 400, shows them as core Events', async () => {
    const events = kc.makeApiClient(EventsV1Api);
    const regarding = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'fraud-scorer',
      namespace: ns,
      uid: 'u-1',
    };
    const event = {
      metadata: { name: 'fraud-scorer.17f0000000000001' },
      eventTime: new V1MicroTime('2025-01-01T00:00:00.123Z'),
      type: 'Normal',
      reportingController: 'example.org/salve',
      reportingInstance: 'salve-0',
      action: 'RolloutUndo',
      reason: 'RolledBack',
      note: 'rolled back to revision 1',
      regarding,
    };
    const created = await events.createNamespacedEvent({ namespace: ns, body: event });
    expect(String(created.eventTime)).toContain('2025-01-01T00:00:00.123');
    const posted = sim.requests.at(-1)?.body as { eventTime: string };
    expect(posted.eventTime).toBe('2025-01-01T00:00:00.123000Z');
    const plainDate = { ...event, metadata: { name: 'e2' }, eventTime: new Date() as V1MicroTime };
    expect(await statusOf(events.createNamespacedEvent({ namespace: ns, body: plainDate }))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
    });
    const missing = await statusOf(
      events.createNamespacedEvent({
        namespace: ns,
        body: { metadata: { name: 'e3' }, eventTime: new V1MicroTime() },
      }),
    );
    expect(missing.code).toBe(422);
    const fields = (missing.body.details as { causes: Array<{ field: string }> }).causes.map((c) => c.field);
    expect(fields.sort()).toEqual(
      [
        'action',
        'involvedObject.namespace',
        'reason',
        'reportingController',
        'reportingInstance',
        'type',
      ].sort(),
    );
    const core = await kc
      .makeApiClient(CoreV1Api)
      .listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=fraud-scorer' });
    expect(core.items.map((e) => [e.message, e.reportingComponent, e.involvedObject.kind])).toEqual([
      ['rolled back to revision 1', 'example.org/salve', 'Deployment'],
    ]);
  });

  it('runs the Lease get/create/update cycle leader election needs, with 409 on a stale update', async () => {
    const coord = kc.makeApiClient(CoordinationV1Api);
    const spec = {
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      renewTime: new V1MicroTime(),
      acquireTime: new V1MicroTime(),
    };
    const lease = await coord.createNamespacedLease({
      namespace: ns,
      body: { metadata: { name: 'salve-leader' }, spec },
    });
    const renewed = await coord.replaceNamespacedLease({
      name: 'salve-leader',
      namespace: ns,
      body: { ...lease, spec: { ...spec, holderIdentity: 'b', renewTime: new V1MicroTime() } },
    });
    expect(renewed.spec?.holderIdentity).toBe('b');
    expect(Number(renewed.metadata?.resourceVersion)).toBeGreaterThan(
      Number(lease.metadata?.resourceVersion),
    );
    const stale = await statusOf(
      coord.replaceNamespacedLease({ name: 'salve-leader', namespace: ns, body: lease }),
    );
    expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
    const badTime = { ...renewed, spec: { ...spec, renewTime: new Date() as V1MicroTime } };
    expect(
      (await statusOf(coord.replaceNamespacedLease({ name: 'salve-leader', namespace: ns, body: badTime })))
        .code,
    ).toBe(400);
  });

  it('deletes with cascading to owned ReplicaSets, like the garbage collector', async () => {
    const apps = kc.makeApiClient(AppsV1Api);
    sim.seed.deployment({
      namespace: ns,
      name: 'doomed',
      replicas: 1,
      revisions: [{ image: 'a:1' }, { image: 'a:2' }],
    });
    expect(
      sim.objects.list('apps/v1', 'ReplicaSet', ns).filter((rs) => rs.metadata.name?.startsWith('doomed-')),
    ).toHaveLength(2);
    const status = await apps.deleteNamespacedDeployment({ name: 'doomed', namespace: ns });
    expect(status).toMatchObject({ status: 'Success', details: { name: 'doomed', kind: 'deployments' } });
    expect(
      sim.objects.list('apps/v1', 'ReplicaSet', ns).filter((rs) => rs.metadata.name?.startsWith('doomed-')),
    ).toEqual([]);
  });

  it('server-side apply creates a missing object and merges into an existing one', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const body = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'applied', namespace: ns, labels: { a: '1' } },
      spec: {
        schedule: '0 1 * * *',
        jobTemplate: {
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'c:1' }] } } },
        },
      },
    };
    const created = await batch.patchNamespacedCronJob(
      { name: 'applied', namespace: ns, body, fieldManager: 'salve' },
      apply,
    );
    expect(created.metadata?.uid).toBeDefined();
    const updated = await batch.patchNamespacedCronJob(
      {
        name: 'applied',
        namespace: ns,
        body: { ...body, metadata: { ...body.metadata, labels: { a: '2' } } },
        fieldManager: 'salve',
      },
      apply,
    );
    expect(updated.metadata?.uid).toBe(created.metadata?.uid);
    expect(updated.metadata?.labels).toEqual({ a: '2' });
    const noManager = await statusOf(
      batch.patchNamespacedCronJob({ name: 'applied', namespace: ns, body }, apply),
    );
    expect(noManager.code).toBe(400);
  });

  it('deletes a collection selected by labels', async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    const job = (name: string, batchLabel: string) => ({
      metadata: { name, labels: { batch: batchLabel } },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 'i:1' }] } } },
    });
    for (const [name, label] of [
      ['c1', 'old'],
      ['c2', 'old'],
      ['c3', 'new'],
    ]) {
      await batch.createNamespacedJob({ namespace: ns, body: job(name ?? '', label ?? '') });
    }
    await batch.deleteCollectionNamespacedJob({ namespace: ns, labelSelector: 'batch=old' });
    const left = await batch.listNamespacedJob({ namespace: ns, labelSelector: 'batch' });
    expect(left.items.map((j) => j.metadata?.name)).toEqual(['c3']);
  });
});

describe('kube-sim with requireAuth', () => {
  it('accepts the kubeconfig token and answers 401 Unauthorized without it', async () => {
    const guarded = await startKubeSim({ tickMs: 0, requireAuth: true, token: 't0ken' });
    try {
      const config = new KubeConfig();
      config.loadFromFile(guarded.writeKubeconfig(dir, { file: 'guarded.yaml' }));
      const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).toContain('default');
      const anonymous = await fetch(`${guarded.url}/api/v1/namespaces`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    } finally {
      await guarded.close();
    }
  });
});
