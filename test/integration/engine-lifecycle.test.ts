import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

const MIN = 60_000;

describe('heal lifecycle', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('a firing alert restarts the Deployment, verifies the rollout, and closes as resolved when the alert resolves', async () => {
    h = await startEngineHarness();
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    const patches = h.patches();
    expect(patches).toHaveLength(1);
    expect(patches[0]!.path).toBe('/apis/apps/v1/namespaces/ml-prod/deployments/fraud-scorer');
    expect((await h.heal(opened[0]!)).state).toBe('verifying');

    await h.advance(2_000); // rollout poll: the simulator's controller has finished the rollout
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'verifying', stage: 'resolve' });

    await h.clock.advance(3 * MIN);
    await h.resolve('fraud-scorer');
    await h.run();
    const heal = await h.heal(opened[0]!);
    expect(heal).toMatchObject({ state: 'resolved', stage: 'resolved', reason: 'alerts_resolved' });
    const types = (await h.timeline(heal.id)).map((r) => `${r.type}:${r.outcome}`);
    expect(types).toEqual([
      'heal.opened:pending',
      // paused, allowed, cooldown, rate_limit, approval, autonomy
      'guard.passed:pass',
      'guard.passed:pass',
      'guard.passed:pass',
      'guard.passed:pass',
      'guard.passed:pass',
      'guard.passed:pass',
      'action.started:started',
      'action.finished:changed',
      'verify.rollout:done',
      'heal.alert_resolved:resolved',
      'verify.resolved:resolved',
      'heal.resolved:resolved',
    ]);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /salve_heals_total\{policy="scorer-error-rate",action="k8s.restart",outcome="resolved"\} 1/,
    );
    expect(metrics).toMatch(/salve_time_to_resolve_seconds_count\{policy="scorer-error-rate"\} 1/);
    expect(await h.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('escalates through every step while the alert keeps firing, then hands over to humans', async () => {
    h = await startEngineHarness();
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(2_000); // restart rolled out
    await h.advance(10 * MIN); // resolved deadline of step 1 passes: roll back
    const afterRollback = await h.heal(opened[0]!);
    expect(afterRollback).toMatchObject({ step: 1, state: 'verifying' });
    const rollbackPatch = h.patches()[1]!;
    expect(rollbackPatch.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ op: 'replace', path: '/spec/template' })]),
    );
    await h.advance(2_000);
    await h.advance(15 * MIN);
    const heal = await h.heal(opened[0]!);
    expect(heal).toMatchObject({ state: 'escalated', stage: 'escalated' });
    const types = (await h.timeline(heal.id)).map((r) => r.type);
    expect(types.filter((t) => t === 'action.finished')).toHaveLength(2);
    expect(types.filter((t) => t === 'heal.next_step')).toHaveLength(1);
    expect(types.at(-1)).toBe('heal.escalated');
    // Nothing more is done to that target for this heal.
    await h.advance(60 * MIN);
    expect(h.patches()).toHaveLength(2);
  });

  it('five pods of one Deployment firing make one heal and one restart', async () => {
    h = await startEngineHarness();
    for (const pod of ['a', 'b', 'c', 'd', 'e']) await h.fire('fraud-scorer', { labels: { pod } });
    await h.run();
    expect(await h.deps.store.listHeals({ limit: 10 })).toHaveLength(1);
    expect(h.patches()).toHaveLength(1);
  });

  it('200 parallel deliveries for the same target open one heal and produce one action', async () => {
    h = await startEngineHarness();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => h.fire('fraud-scorer', { labels: { pod: `p${i}` } })),
    );
    await h.run();
    expect(await h.deps.store.listHeals({ limit: 10 })).toHaveLength(1);
    expect(h.patches()).toHaveLength(1);
  });

  it('retries a 503 from the API server with backoff and succeeds', async () => {
    h = await startEngineHarness();
    h.sim.faults.failNext({ method: 'PATCH' }, 503, 2);
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    expect((await h.heal(opened[0]!)).attempt).toBe(1);
    await h.advance(500); // jitter pinned to 50%: the first retry is due after 500 ms
    await h.advance(1_000);
    const heal = await h.heal(opened[0]!);
    expect(heal).toMatchObject({ state: 'verifying', attempt: 2 });
    const types = (await h.timeline(heal.id)).map((r) => `${r.type}:${r.outcome}`);
    expect(types.filter((t) => t.startsWith('action.retry'))).toHaveLength(2);
    expect(types).toContain('action.finished:changed');
  });

  it('does not retry a 403: the step fails at once and the next step runs', async () => {
    h = await startEngineHarness();
    h.sim.faults.failNext({ method: 'PATCH' }, 403, 1);
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    const heal = await h.heal(opened[0]!);
    const records = await h.timeline(heal.id);
    expect(records.find((r) => r.type === 'action.failed')).toMatchObject({
      outcome: 'SALVE_KUBE_FORBIDDEN',
    });
    expect(records.some((r) => r.type === 'action.retry')).toBe(false);
    expect(heal).toMatchObject({ step: 1 });
  });
});
