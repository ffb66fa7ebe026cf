import { afterEach, describe, expect, it } from 'vitest';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import type { RolloutState, TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };

describe('rollout status after an action (kubectl rollout status rule)', () => {
  let h: KubeActionHarness;
  afterEach(() => h.close());

  async function statusAfterTicks(target: TargetRef, ticks: number): Promise<RolloutState> {
    for (let i = 0; i < ticks; i++) h.sim.tick();
    return k8sRestart.rolloutStatus?.(h.context(target), {}) ?? Promise.reject(new Error('no rolloutStatus'));
  }

  it('is waiting right after the change and done once the controller finished', async () => {
    h = await startKubeActionHarness({ readyPerTick: 1 });
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      replicas: 3,
      revisions: [{ image: 'scorer:1' }, { image: 'scorer:2' }],
    });
    await k8sRollback.run(h.context(scorer), {});
    expect((await k8sRollback.rolloutStatus?.(h.context(scorer), {}))?.state).toBe('waiting');
    let state = await statusAfterTicks(scorer, 1);
    for (let i = 0; i < 20 && state.state === 'waiting'; i++) state = await statusAfterTicks(scorer, 1);
    expect(state).toEqual({ state: 'done', detail: 'deployment "scorer" successfully rolled out' });
  });

  it('fails once a stalled rollout exceeds its progress deadline', async () => {
    let now = Date.parse('2026-11-27T03:00:00Z');
    h = await startKubeActionHarness({ now: () => now });
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      replicas: 2,
      progressDeadlineSeconds: 60,
      revisions: [{ image: 'scorer:1' }],
    });
    h.sim.stall(ns, 'scorer');
    await k8sRestart.run(h.context(scorer), {});
    expect((await statusAfterTicks(scorer, 2)).state).toBe('waiting');
    now += 61_000;
    const state = await statusAfterTicks(scorer, 2);
    expect(state).toEqual({ state: 'failed', detail: 'deployment "scorer" exceeded its progress deadline' });
  });

  for (const kind of ['StatefulSet', 'DaemonSet'] as const) {
    it(`follows a ${kind} restart to done`, async () => {
      h = await startKubeActionHarness();
      const revisions = [{ image: 'store:1' }];
      if (kind === 'StatefulSet')
        h.sim.seed.statefulSet({ namespace: ns, name: 'store', replicas: 2, revisions });
      else h.sim.seed.daemonSet({ namespace: ns, name: 'store', revisions });
      const target = { kind, namespace: ns, name: 'store' };
      await k8sRestart.run(h.context(target), {});
      expect((await k8sRestart.rolloutStatus?.(h.context(target), {}))?.state).toBe('waiting');
      let state = await statusAfterTicks(target, 1);
      for (let i = 0; i < 10 && state.state === 'waiting'; i++) state = await statusAfterTicks(target, 1);
      expect(state.state).toBe('done');
    });
  }
});
