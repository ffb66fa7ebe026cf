import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import { imageOf, type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import type { KubeObject } from '../support/kube-sim/index.js';

// A StatefulSet update whose first replaced pod never becomes ready stops (OrderedReady waits for it forever),
// and reverting the template does not replace that pod: Kubernetes documents a forced rollback (revert, then
// delete the pods of the bad revision). k8s.rollback does both, and only for pods that are stuck.

const ns = 'data';
const db: TargetRef = { kind: 'StatefulSet', namespace: ns, name: 'orders-db' };
const previous = { mode: 'previous' } as const;

describe('k8s.rollback of a StatefulSet stuck on a broken update (forced rollback)', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.sim.seed.namespace(ns);
    h.sim.seed.statefulSet({
      namespace: ns,
      name: 'orders-db',
      replicas: 3,
      revisions: [{ image: 'postgres:15.4' }],
    });
    h.sim.pods.setImageHealth('postgres:15.5', { state: 'crashLoop', restartCount: 4, exitCode: 1 });
    const sts = h.workload('StatefulSet', ns, 'orders-db');
    const spec = sts.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    for (const c of spec.template.spec.containers) c.image = 'postgres:15.5';
    h.sim.objects.put(sts);
    for (let i = 0; i < 4; i++) h.sim.tick();
  });
  afterEach(() => h.close());

  const pod = (name: string) => h.sim.objects.get('v1', 'Pod', ns, name) as KubeObject;
  const podImage = (name: string) =>
    (pod(name).spec as { containers: Array<{ image: string }> }).containers[0]?.image;

  it('reverts the template, deletes the stuck pod, and the rollout completes', async () => {
    // The update replaced the highest ordinal, which crash-loops; the controller waits for it forever.
    expect(podImage('orders-db-2')).toBe('postgres:15.5');
    const stuckUid = pod('orders-db-2').metadata.uid;
    expect((await k8sRollback.rolloutStatus!(h.context(db), previous)).state).not.toBe('done');
    const result = await k8sRollback.run(h.context(db), previous);
    expect(result).toMatchObject({ status: 'changed', data: { replacedPods: ['orders-db-2'] } });
    expect(result.detail).toContain('and deleted pod(s) orders-db-2 stuck on the abandoned revision');
    const deletes = h.sim.mutations().filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [r.path, r.body])).toEqual([
      [`/api/v1/namespaces/${ns}/pods/orders-db-2`, { preconditions: { uid: stuckUid } }],
    ]);
    for (let i = 0; i < 4; i++) h.sim.tick();
    expect(podImage('orders-db-2')).toBe('postgres:15.4');
    expect(pod('orders-db-2').metadata.uid).not.toBe(stuckUid);
    expect((await k8sRollback.rolloutStatus!(h.context(db), previous)).state).toBe('done');
    // The healthy pods of the good revision were never touched.
    expect(h.eventsAbout(ns, 'StatefulSet', 'orders-db')[0]?.note).toContain('deleted pod(s) orders-db-2');
  });

  it('a re-run of the same step after a crash between the patch and the deletion deletes the stuck pod', async () => {
    // First run: the patch lands, then the process dies before it lists the pods.
    const crashing = {
      ...h.kube,
      listPods: async () => {
        throw new Error('process killed');
      },
    };
    await expect(k8sRollback.run({ ...h.context(db), kube: crashing }, previous)).rejects.toThrow(
      'process killed',
    );
    expect(imageOf(h.workload('StatefulSet', ns, 'orders-db'))).toBe('postgres:15.4');
    const again = await k8sRollback.run(h.context(db), previous);
    expect(again).toMatchObject({ status: 'unchanged', data: { replacedPods: ['orders-db-2'] } });
    expect(again.detail).toMatch(/already rolled back by this heal step, and deleted pod\(s\) orders-db-2/);
    // A third run finds nothing left to do.
    const third = await k8sRollback.run(h.context(db), previous);
    expect(third).toMatchObject({ status: 'unchanged' });
    expect(third.data).toBeUndefined();
  });

  it('a DaemonSet is left to its controller, which replaces unavailable pods itself', async () => {
    h.sim.seed.daemonSet({
      namespace: ns,
      name: 'shipper',
      revisions: [{ image: 'shipper:1' }, { image: 'shipper:2' }],
    });
    const result = await k8sRollback.run(
      h.context({ kind: 'DaemonSet', namespace: ns, name: 'shipper' }),
      previous,
    );
    expect(result.status).toBe('changed');
    expect(result.data).not.toHaveProperty('replacedPods');
    expect(h.sim.mutations().filter((r) => r.method === 'DELETE')).toEqual([]);
  });
});
