import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sScale } from '../../src/actions/k8s-scale/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import type { KubeObject } from '../support/kube-sim/index.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };

const templateAnnotations = (object: KubeObject) =>
  (object.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata
    ?.annotations ?? {};
const replicas = (object: KubeObject) => (object.spec as { replicas?: number }).replicas;

describe('k8s.restart (kubectl rollout restart)', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.clock.set('2026-11-27T03:04:05.678Z');
  });
  afterEach(() => h.close());

  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet'] as const) {
    it(`patches restartedAt on the ${kind} pod template, second precision, with a strategic merge patch`, async () => {
      const revisions = [{ image: 'app:1' }];
      if (kind === 'Deployment')
        h.sim.seed.deployment({ namespace: ns, name: 'app', replicas: 2, revisions });
      if (kind === 'StatefulSet')
        h.sim.seed.statefulSet({ namespace: ns, name: 'app', replicas: 2, revisions });
      if (kind === 'DaemonSet') h.sim.seed.daemonSet({ namespace: ns, name: 'app', revisions });
      const before = h.sim.mutations().length;
      const result = await k8sRestart.run(h.context({ kind, namespace: ns, name: 'app' }), {});
      expect(result).toMatchObject({ status: 'changed', data: { restartedAt: '2026-11-27T03:04:05Z' } });
      const patch = h.sim
        .mutations()
        .slice(before)
        .find((r) => r.method === 'PATCH');
      expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
      expect(templateAnnotations(h.workload(kind, ns, 'app'))).toMatchObject({
        'kubectl.kubernetes.io/restartedAt': '2026-11-27T03:04:05Z',
        'salve.dev/restart-for': 'heal-0001/1',
      });
      expect(h.eventsAbout(ns, kind, 'app')).toMatchObject([{ action: 'RolloutRestart' }]);
    });
  }

  it('starts a new rollout of the Deployment', async () => {
    h.sim.seed.deployment({ namespace: ns, name: 'scorer', replicas: 2, revisions: [{ image: 'scorer:1' }] });
    await k8sRestart.run(h.context(scorer), {});
    h.sim.tick();
    const deployment = h.workload('Deployment', ns, 'scorer');
    expect(deployment.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('does not restart twice for the same heal step, even later', async () => {
    h.sim.seed.deployment({ namespace: ns, name: 'scorer', replicas: 2, revisions: [{ image: 'scorer:1' }] });
    await k8sRestart.run(h.context(scorer), {});
    await h.clock.advance(60_000);
    const retry = await k8sRestart.run(h.context(scorer, { attempt: 2 }), {});
    expect(retry.status).toBe('unchanged');
    expect(retry.detail).toContain('2026-11-27T03:04:05Z');
    const next = await k8sRestart.run(h.context(scorer, { step: 2 }), {});
    expect(next).toMatchObject({ status: 'changed', data: { restartedAt: '2026-11-27T03:05:05Z' } });
  });

  it('refuses a paused Deployment', async () => {
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      revisions: [{ image: 'scorer:1' }],
      paused: true,
    });
    await expect(k8sRestart.run(h.context(scorer), {})).rejects.toMatchObject({
      code: 'SALVE_ACTION_REFUSED',
      retryable: false,
    });
  });

  it('reports a missing target as SALVE_KUBE_NOT_FOUND, not retryable', async () => {
    await expect(k8sRestart.run(h.context(scorer), {})).rejects.toMatchObject({
      code: 'SALVE_KUBE_NOT_FOUND',
      retryable: false,
    });
  });
});

describe('k8s.scale', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
    h.sim.seed.deployment({ namespace: ns, name: 'scorer', replicas: 3, revisions: [{ image: 'scorer:1' }] });
  });
  afterEach(() => h.close());

  it('scales to an absolute count and is unchanged when already there', async () => {
    const first = await k8sScale.run(h.context(scorer), { replicas: 5 });
    expect(first).toMatchObject({ status: 'changed', data: { fromReplicas: 3, toReplicas: 5 } });
    expect(replicas(h.workload('Deployment', ns, 'scorer'))).toBe(5);
    const again = await k8sScale.run(h.context(scorer, { id: 'heal-0002' }), { replicas: 5 });
    expect(again).toEqual({
      status: 'unchanged',
      detail: 'Deployment ml-prod/scorer already has 5 replicas',
      data: { replicas: 5 },
    });
  });

  it('scales by a relative step once per heal step', async () => {
    await k8sScale.run(h.context(scorer), { by: 2 });
    const retry = await k8sScale.run(h.context(scorer, { attempt: 2 }), { by: 2 });
    expect(retry.status).toBe('unchanged');
    expect(replicas(h.workload('Deployment', ns, 'scorer'))).toBe(5);
    await k8sScale.run(h.context(scorer, { step: 2 }), { by: 2 });
    expect(replicas(h.workload('Deployment', ns, 'scorer'))).toBe(7);
  });

  it('stops at the bounds and says so', async () => {
    const capped = await k8sScale.run(h.context(scorer), { by: 5, max: 4 });
    expect(capped.data).toEqual({ fromReplicas: 3, toReplicas: 4 });
    const atCap = await k8sScale.run(h.context(scorer, { step: 2 }), { by: 5, max: 4 });
    expect(atCap).toMatchObject({
      status: 'unchanged',
      detail: 'Deployment ml-prod/scorer already has 4 replicas',
    });
    const down = await k8sScale.run(h.context(scorer, { step: 3 }), { by: -10, min: 1 });
    expect(down.data).toEqual({ fromReplicas: 4, toReplicas: 1 });
  });

  it('sends a merge patch conditional on the resourceVersion it read', async () => {
    const before = h.sim.mutations().length;
    const resourceVersion = h.workload('Deployment', ns, 'scorer').metadata.resourceVersion;
    await k8sScale.run(h.context(scorer), { replicas: 4 });
    const patch = h.sim
      .mutations()
      .slice(before)
      .find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(patch?.body).toMatchObject({ metadata: { resourceVersion }, spec: { replicas: 4 } });
    expect(h.eventsAbout(ns, 'Deployment', 'scorer')).toMatchObject([{ action: 'Scale' }]);
  });

  it('scales a StatefulSet', async () => {
    h.sim.seed.statefulSet({ namespace: ns, name: 'store', replicas: 1, revisions: [{ image: 'store:1' }] });
    const target = { kind: 'StatefulSet', namespace: ns, name: 'store' };
    await k8sScale.run(h.context(target), { by: 1 });
    expect(replicas(h.workload('StatefulSet', ns, 'store'))).toBe(2);
  });
});
