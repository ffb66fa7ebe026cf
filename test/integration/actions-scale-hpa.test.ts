import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sScale } from '../../src/actions/k8s-scale/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'shop';
const frontend: TargetRef = { kind: 'HorizontalPodAutoscaler', namespace: ns, name: 'frontend' };

const hpaSpec = (h: KubeActionHarness) =>
  h.sim.objects.get('autoscaling/v2', 'HorizontalPodAutoscaler', ns, 'frontend')?.spec as {
    maxReplicas: number;
  };
const replicasOf = (h: KubeActionHarness) =>
  (h.workload('Deployment', ns, 'frontend').spec as { replicas: number }).replicas;

describe('k8s.scale on a HorizontalPodAutoscaler: moves its maxReplicas, the HPA scales its target', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.sim.seed.deployment({ namespace: ns, name: 'frontend', replicas: 4, revisions: [{ image: 'fe:1' }] });
    h.sim.seed.hpa({
      namespace: ns,
      name: 'frontend',
      target: { name: 'frontend' },
      minReplicas: 2,
      maxReplicas: 6,
      desiredReplicas: 9,
      cpu: { target: 70, current: 145 },
    });
    h.sim.tick();
  });
  afterEach(() => h.close());

  it('raises maxReplicas within its bound, once per heal step, with an Event; the HPA then scales up', async () => {
    expect(replicasOf(h)).toBe(6);
    const params = k8sScale.params.parse({ by: 4, max: 20 });
    expect(k8sScale.describe(frontend, params)).toBe(
      'would move the maxReplicas of HorizontalPodAutoscaler shop/frontend by +4 (at most 20)',
    );
    const result = await k8sScale.run(h.context(frontend), params);
    expect(result).toMatchObject({ status: 'changed', data: { fromMaxReplicas: 6, toMaxReplicas: 10 } });
    expect(result.detail).toBe(
      'raised the maxReplicas of HorizontalPodAutoscaler shop/frontend from 6 to 10 (it scales Deployment shop/frontend)',
    );
    const patch = h.sim.mutations().find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(hpaSpec(h).maxReplicas).toBe(10);
    h.sim.tick();
    expect(replicasOf(h)).toBe(9);
    // The same step again (a retry after a crash): recognised, not raised twice.
    expect(await k8sScale.run(h.context(frontend), params)).toMatchObject({ status: 'unchanged' });
    expect(hpaSpec(h).maxReplicas).toBe(10);
    expect(h.eventsAbout(ns, 'HorizontalPodAutoscaler', 'frontend')).toHaveLength(1);
  });

  it('refuses a maxReplicas below minReplicas; scaling the Deployment directly is undone by the HPA', async () => {
    await expect(
      k8sScale.run(h.context(frontend), k8sScale.params.parse({ replicas: 1 })),
    ).rejects.toMatchObject({
      code: 'SALVE_ACTION_REFUSED',
    });
    await k8sScale.run(
      h.context({ kind: 'Deployment', namespace: ns, name: 'frontend' }),
      k8sScale.params.parse({ by: 3 }),
    );
    expect(replicasOf(h)).toBe(9);
    h.sim.tick();
    expect(replicasOf(h)).toBe(6);
  });
});
