import { afterEach, describe, expect, it } from 'vitest';
import type { StatsReport } from '../../src/http/api-types.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { atMinute as at } from '../support/fake-clock.js';
import { runCli } from '../support/run-cli.js';

const MIN = 60_000;

/** Restart, then roll back; every heal on one target counts toward a breaker of 3 an hour. */
const twoSteps = `apiVersion: salve/v1
policies:
  - name: scorer-errors
    match: [alertname="ModelServingErrorRate"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 5m }
      - action: k8s.rollback
        verify: { resolved: 5m }
    guards: { cooldown: 0s, maxPerTarget: "3/1h" }
  - name: scorer-latency-dry
    match: [alertname="ModelServingLatencyP99"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
        verify: { resolved: 5m }
    guards: { dryRun: true, cooldown: 0s }
`;

// The CLI runs in a process of its own (tsx): slow to start on a busy machine.
describe('heal effectiveness, from heals the engine made', { timeout: 120_000 }, () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function history(): Promise<void> {
    // 1: the restart heals fraud-scorer.
    await h.fire('fraud-scorer', { startsAt: at(0) });
    await h.run();
    await h.advance(30_000);
    await h.resolve('fraud-scorer', { startsAt: at(0) });
    await h.run();
    // 2: the restart does not heal churn-model; the rollback does.
    await h.fire('churn-model', { startsAt: at(1) });
    await h.run();
    await h.advance(6 * MIN);
    await h.advance(60_000);
    await h.resolve('churn-model', { startsAt: at(1) });
    await h.run();
    // 3: neither heals fraud-scorer: escalated after the rollback.
    await h.fire('fraud-scorer', { startsAt: at(10) });
    await h.run();
    await h.advance(6 * MIN);
    await h.advance(6 * MIN);
    // 4: fraud-scorer was acted on 3 times this hour: the breaker refuses and escalates.
    await h.fire('fraud-scorer', { startsAt: at(30) });
    await h.run();
    // 5: a dry run, counted apart.
    await h.fire('churn-model', { startsAt: at(31), alertname: 'ModelServingLatencyP99' });
    await h.run();
    await h.advance(30_000);
    await h.resolve('churn-model', { startsAt: at(31), alertname: 'ModelServingLatencyP99' });
    await h.run();
  }

  it('counts per policy and step what acting did, the refusals, time to resolve and the most-healed targets', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': twoSteps },
      deployments: ['fraud-scorer', 'churn-model'],
    });
    await history();
    const res = await h.app.inject({ url: '/v1/stats?since=1d', headers: h.auth('viewer') });
    expect(res.statusCode).toBe(200);
    const stats = res.json() as StatsReport;
    expect(stats.heals).toBe(4);
    const errors = stats.policies.find((p) => p.policy === 'scorer-errors')!;
    expect(errors).toMatchObject({
      heals: 4,
      states: { resolved: 2, escalated: 2 },
      dryRunHeals: 0,
      timeToResolve: { count: 2, median: 30 },
    });
    const [restart, rollback] = errors.steps;
    expect(restart).toMatchObject({
      step: 1,
      action: 'k8s.restart',
      attempts: 3,
      outcomes: { resolved: 1, next_step: 2, escalated: 0, failed: 0, open: 0 },
      successRate: 1 / 3,
      refusals: { loop_breaker: 1 },
    });
    expect(rollback).toMatchObject({
      step: 2,
      action: 'k8s.rollback',
      attempts: 2,
      outcomes: { resolved: 1, escalated: 1, next_step: 0 },
      successRate: 0.5,
      timeToResolve: { count: 1, median: 7 * 60 },
    });
    // The dry run healed nothing: apart, never a success.
    const dry = stats.policies.find((p) => p.policy === 'scorer-latency-dry')!;
    expect(dry).toMatchObject({ heals: 0, dryRunHeals: 1, timeToResolve: { count: 0 } });
    expect(dry.steps[0]).toMatchObject({
      attempts: 0,
      successRate: null,
      dryRun: { attempts: 1, wouldResolve: 1 },
    });
    expect(stats.targets[0]).toMatchObject({
      target: 'Deployment/ml-prod/fraud-scorer',
      heals: 3,
      resolved: 1,
      escalated: 2,
    });

    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /salve_heal_step_outcomes_total\{policy="scorer-errors",step="1",outcome="next_step"\} 2/,
    );
    expect(metrics).toMatch(
      /salve_heal_step_outcomes_total\{policy="scorer-errors",step="2",outcome="escalated"\} 1/,
    );
    expect(metrics).toMatch(
      /salve_heal_step_outcomes_total\{policy="scorer-latency-dry",step="1",outcome="dry_run"\} 1/,
    );

    // The same numbers from the CLI, reading the store.
    const env = { SALVE_DATA_DIR: h.dir, SALVE_POLICIES: h.policiesDir };
    const json = await runCli(['stats', '--since', '30d', '--json'], env);
    expect(json.stderr).toBe('');
    const fromCli = JSON.parse(json.stdout) as StatsReport;
    expect(fromCli.policies.find((p) => p.policy === 'scorer-errors')?.steps).toEqual(errors.steps);
    const table = await runCli(['stats'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/scorer-errors\s+1\s+k8s\.restart\s+3\s+1\s+2\s+0\s+0\s+0\s+33\.3 %/);
    expect(table.stdout).toMatch(/Deployment\/ml-prod\/fraud-scorer\s+3\s+1\s+2/);
  });

  it('refuses a window it cannot read, naming it', async () => {
    h = await startEngineHarness();
    for (const since of ['30', 'forever', '0s', '400d']) {
      const res = await h.app.inject({ url: `/v1/stats?since=${since}`, headers: h.auth('viewer') });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/^since: /);
    }
    expect((await h.app.inject({ url: '/v1/stats' })).statusCode).toBe(401);
  });
});
