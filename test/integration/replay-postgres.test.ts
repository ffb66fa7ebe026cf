import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { StatsReport } from '../../src/http/api-types.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { fakeClock } from '../support/fake-clock.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { expectReplayEqualsLive, historyPolicies, liveHistory } from '../support/replay-history.js';
import { testAuditKey } from '../support/store-contract.js';

// The same recorded history on PostgreSQL: statistics, the autonomy guard and the backtest read it the same way.
describe('earned autonomy on PostgreSQL', { timeout: 180_000 }, () => {
  let server: TestPostgres;
  let h: EngineHarness;
  beforeAll(async () => {
    server = await startTestPostgres();
    // The store stamps what it writes (the action ledger's times) with the harness's clock, once there is one.
    let clock: Clock = fakeClock();
    const store = openPostgresStore({
      url: await server.createDatabase(),
      clock: { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal) },
      auditKey: testAuditKey,
    });
    h = await startEngineHarness({
      policies: { 'p.yaml': historyPolicies },
      deployments: ['fraud-scorer', 'churn-model'],
      overrides: { store },
    });
    clock = h.clock;
    await liveHistory(h);
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('replays the recorded history through the table that made it: the same heals and actions, one for one', async () => {
    expect(h.deps.store.kind).toBe('postgres');
    await expectReplayEqualsLive(h);
  });

  it('counts the effectiveness of each step from the same history', async () => {
    const res = await h.app.inject({ url: '/v1/stats?since=1d', headers: h.auth('viewer') });
    expect(res.statusCode).toBe(200);
    const stats = res.json() as StatsReport;
    const errors = stats.policies.find((p) => p.policy === 'scorer-errors')!;
    expect(errors.heals).toBe(8);
    expect(errors.steps[0]).toMatchObject({
      step: 1,
      action: 'k8s.restart',
      refusals: { cooldown: 2, loop_breaker: 1 },
      outcomes: { resolved: 3, next_step: 2 },
    });
    expect(errors.steps[1]).toMatchObject({
      step: 2,
      refusals: { loop_breaker: 1 },
      outcomes: { escalated: 1 },
    });
  });
});
