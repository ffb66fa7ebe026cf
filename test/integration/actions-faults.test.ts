import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import { k8sScale } from '../../src/actions/k8s-scale/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import type { KubeClient } from '../../src/kube/port.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };
const deploymentPath = /\/deployments\/scorer$/;

describe('Kubernetes API failures seen by the actions', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    // A deadline a loaded machine never reaches by accident; the deadline test below sets its own.
    h = await startKubeActionHarness({}, { requestTimeoutMs: 10_000 });
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      replicas: 2,
      revisions: [{ image: 'scorer:1' }, { image: 'scorer:2' }],
    });
  });
  afterEach(() => h.close());

  const patches = (from: number) => h.sim.requests.slice(from).filter((r) => r.method === 'PATCH');

  it('retries a 409 Conflict inside the action after re-reading', async () => {
    h.sim.faults.conflictNext({ method: 'PATCH', path: deploymentPath }, 1);
    const before = h.sim.requests.length;
    const result = await k8sRestart.run(h.context(scorer), {});
    expect(result.status).toBe('changed');
    expect(patches(before).map((r) => r.status)).toEqual([409, 200]);
    const reads = h.sim.requests
      .slice(before)
      .filter((r) => r.method === 'GET' && deploymentPath.test(r.path));
    expect(reads).toHaveLength(2);
  });

  it('surfaces a conflict that persists as retryable SALVE_KUBE_CONFLICT after three tries', async () => {
    h.sim.faults.conflictNext({ method: 'PATCH', path: deploymentPath }, 5);
    const before = h.sim.requests.length;
    await expect(k8sRollback.run(h.context(scorer), {})).rejects.toMatchObject({
      code: 'SALVE_KUBE_CONFLICT',
      retryable: true,
    });
    expect(patches(before)).toHaveLength(3);
  });

  it('recomputes a relative scale when the object changed between read and patch', async () => {
    const bumped = { done: false };
    const racing: KubeClient = {
      ...h.kube,
      getWorkload: async (kind, namespace, name) => {
        const read = await h.kube.getWorkload(kind, namespace, name);
        if (!bumped.done) {
          bumped.done = true;
          const current = h.workload('Deployment', ns, 'scorer');
          h.sim.objects.put({ ...current, spec: { ...(current.spec as object), replicas: 6 } });
        }
        return read;
      },
    };
    const result = await k8sScale.run({ ...h.context(scorer), kube: racing }, { by: 1 });
    expect(result.data).toEqual({ fromReplicas: 6, toReplicas: 7 });
    expect((h.workload('Deployment', ns, 'scorer').spec as { replicas: number }).replicas).toBe(7);
  });

  it('surfaces a 5xx as retryable SALVE_KUBE_REQUEST_FAILED', async () => {
    h.sim.faults.failNext({ method: 'GET', path: deploymentPath }, 503);
    await expect(k8sRestart.run(h.context(scorer), {})).rejects.toMatchObject({
      code: 'SALVE_KUBE_REQUEST_FAILED',
      retryable: true,
    });
  });

  it('surfaces a 403 as SALVE_KUBE_FORBIDDEN, not retryable', async () => {
    h.sim.faults.failNext({ method: 'PATCH', path: deploymentPath }, 403, 1, 'Forbidden');
    await expect(k8sScale.run(h.context(scorer), { replicas: 4 })).rejects.toMatchObject({
      code: 'SALVE_KUBE_FORBIDDEN',
      retryable: false,
    });
  });

  it('surfaces a dropped connection as retryable', async () => {
    h.sim.faults.dropNext({ method: 'GET', path: deploymentPath });
    await expect(k8sRestart.run(h.context(scorer), {})).rejects.toMatchObject({
      code: 'SALVE_KUBE_REQUEST_FAILED',
      retryable: true,
    });
  });

  it('gives up on a request slower than the deadline, retryable', async () => {
    const slow = await startKubeActionHarness({}, { requestTimeoutMs: 300 });
    try {
      slow.sim.seed.deployment({
        namespace: ns,
        name: 'scorer',
        replicas: 2,
        revisions: [{ image: 'scorer:1' }],
      });
      // An answer held far past the test's own time limit: only the client's deadline can end the request.
      slow.sim.faults.delay({ method: 'GET', path: deploymentPath }, 600_000, 1);
      await expect(k8sRestart.run(slow.context(scorer), {})).rejects.toMatchObject({
        code: 'SALVE_KUBE_REQUEST_FAILED',
        retryable: true,
      });
    } finally {
      await slow.close();
    }
  });

  it('still succeeds when the Event cannot be recorded, and logs it', async () => {
    h.sim.faults.failNext({ method: 'POST', path: /\/events$/ }, 500);
    const result = await k8sRestart.run(h.context(scorer), {});
    expect(result.status).toBe('changed');
    expect(h.logs.lines().some((line) => line.msg === 'kubernetes event not recorded')).toBe(true);
  });
});
