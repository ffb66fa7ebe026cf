import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildEvent } from '../../src/actions/k8s/events.js';
import { createActionRuntime } from '../../src/actions/runtime.js';
import type { Job } from '../../src/kube/port.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'ml-prod';

describe('KubeClient adapter over @kubernetes/client-node, against the simulator', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness({ requireAuth: true });
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      replicas: 2,
      revisions: [{ image: 'a:1' }, { image: 'a:2' }],
    });
    h.sim.seed.statefulSet({ namespace: ns, name: 'store', revisions: [{ image: 's:1' }, { image: 's:2' }] });
    h.sim.seed.cronJob({ namespace: ns, name: 'retrain', image: 't:1' });
  });
  afterEach(() => h.close());

  it('reads workloads as plain JSON, timestamps as strings, with the bearer token from the kubeconfig', async () => {
    const deployment = await h.kube.getWorkload('Deployment', ns, 'scorer');
    expect(deployment.metadata.uid).toBe(h.workload('Deployment', ns, 'scorer').metadata.uid);
    expect(typeof deployment.metadata.creationTimestamp).toBe('string');
    expect(Object.getPrototypeOf(deployment)).toBe(Object.prototype);
    const request = h.sim.requests.at(-1);
    expect(request?.path).toBe('/apis/apps/v1/namespaces/ml-prod/deployments/scorer');
    expect(request?.userAgent).toBe('salve');
  });

  it('sends each patch flavour with its content type and returns the patched object', async () => {
    const patched = await h.kube.patchWorkload('Deployment', ns, 'scorer', {
      type: 'merge',
      body: { metadata: { annotations: { tier: 'web' } } },
    });
    expect(patched.metadata.annotations).toMatchObject({ tier: 'web' });
    await h.kube.patchWorkload('StatefulSet', ns, 'store', {
      type: 'json',
      ops: [{ op: 'replace', path: '/spec/replicas', value: 3 }],
    });
    await h.kube.patchWorkload('StatefulSet', ns, 'store', {
      type: 'strategic',
      body: { metadata: { annotations: { note: 'x' } } },
    });
    expect(h.workload('StatefulSet', ns, 'store')).toMatchObject({
      spec: { replicas: 3 },
      metadata: { annotations: { note: 'x' } },
    });
    const types = h.sim
      .mutations()
      .filter((r) => r.method === 'PATCH')
      .map((r) => [r.contentType, r.query.fieldManager]);
    expect(types).toEqual([
      ['application/merge-patch+json', 'salve'],
      ['application/json-patch+json', 'salve'],
      ['application/strategic-merge-patch+json', 'salve'],
    ]);
  });

  it('lists ReplicaSets and ControllerRevisions by label selector', async () => {
    const replicaSets = await h.kube.listReplicaSets(ns, 'app=scorer');
    expect(
      replicaSets.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']).sort(),
    ).toEqual(['1', '2']);
    const revisions = await h.kube.listControllerRevisions(ns, 'app=store');
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2]);
    expect(revisions[0]?.data).toHaveProperty('spec.template');
    expect(await h.kube.listReplicaSets(ns, 'app=nothing')).toEqual([]);
  });

  it('creates, reads and lists Jobs, and reports a duplicate as AlreadyExists', async () => {
    const cronJob = await h.kube.getCronJob(ns, 'retrain');
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'manual-1', namespace: ns },
      spec: structuredClone(cronJob.spec.jobTemplate.spec),
    };
    const created = await h.kube.createJob(ns, job);
    expect(created.metadata.uid).toBeDefined();
    expect((await h.kube.getJob(ns, 'manual-1')).metadata.uid).toBe(created.metadata.uid);
    expect((await h.kube.listJobs(ns)).map((j) => j.metadata.name)).toEqual(['manual-1']);
    await expect(h.kube.createJob(ns, job)).rejects.toMatchObject({
      code: 'SALVE_KUBE_CONFLICT',
      retryable: false,
      details: { httpStatus: 409, reason: 'AlreadyExists' },
    });
  });

  it('creates an events.k8s.io Event the API server accepts (MicroTime eventTime)', async () => {
    const deployment = await h.kube.getWorkload('Deployment', ns, 'scorer');
    const event = buildEvent(
      {
        heal: { id: 'h', policy: 'p', step: 1, markStep: 1, attempt: 1 },
        target: { kind: 'Deployment', namespace: ns, name: 'scorer' },
        kube: h.kube,
        ...createActionRuntime({}, h.clock),
        clock: h.clock,
        log: h.logs.log,
      },
      {
        regarding: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: 'scorer',
          namespace: ns,
          uid: deployment.metadata.uid ?? '',
        },
        action: 'Scale',
        reason: 'Scaled',
        note: 'scaled',
      },
    );
    await h.kube.createEvent(ns, event);
    const stored = h.sim.objects.get('events.k8s.io/v1', 'Event', ns, event.metadata.name);
    expect(stored).toMatchObject({ eventTime: event.eventTime, reportingController: 'salve.dev/salve' });
  });

  it('maps a missing object to SALVE_KUBE_NOT_FOUND naming the object', async () => {
    await expect(h.kube.getWorkload('DaemonSet', ns, 'ghost')).rejects.toMatchObject({
      code: 'SALVE_KUBE_NOT_FOUND',
      retryable: false,
      message: expect.stringContaining('get DaemonSet ml-prod/ghost'),
    });
  });
});
