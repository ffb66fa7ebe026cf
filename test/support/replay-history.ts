import { expect } from 'vitest';
import type { ReplayReport } from '../../src/http/api-types.js';
import { recordedHeals } from '../../src/service/replay/tally.js';
import type { EngineHarness } from './engine-harness.js';
import { atMinute as at } from './fake-clock.js';

// A recorded history for the policy backtest's tests: the same script through the live engine on either store.

/** Three policies on the same Deployments: a cooldown, a breaker across them, an approval, autonomy. */
export const historyPolicies = `apiVersion: salve/v1
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
    guards: { cooldown: 10m, maxPerTarget: "3/1h" }
  - name: scorer-latency
    match: [alertname="ModelServingLatencyP99"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.scale
        with: { replicas: 4 }
        verify: { resolved: 5m }
    guards: { cooldown: 0s, maxPerTarget: "3/1h", autonomy: { minSuccessRate: 0.5, minSamples: 1, window: 1d } }
  - name: feature-drift
    match: [alertname="FeatureDrift"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
    guards: { approval: true, cooldown: 0s }
`;

/** A scripted history: [minute, deployment, alertname, firing?], fired or resolved as the clock reaches it. */
export const historyScript: Array<[number, string, string, 'firing' | 'resolved', number]> = [
  [0, 'fraud-scorer', 'ModelServingErrorRate', 'firing', 0],
  [2, 'fraud-scorer', 'ModelServingErrorRate', 'resolved', 0],
  [3, 'fraud-scorer', 'ModelServingErrorRate', 'firing', 3], // cooldown: refused
  [4, 'churn-model', 'ModelServingErrorRate', 'firing', 4], // restart, rollback, escalated
  [5, 'churn-model', 'ModelServingLatencyP99', 'firing', 5], // no record: waits for approval
  [8, 'churn-model', 'ModelServingLatencyP99', 'resolved', 5], // cancelled while waiting
  [6, 'churn-model', 'FeatureDrift', 'firing', 6], // policy approval: waits
  [15, 'fraud-scorer', 'ModelServingErrorRate', 'firing', 15], // cooldown over: acts
  [17, 'fraud-scorer', 'ModelServingErrorRate', 'resolved', 15],
  [20, 'churn-model', 'ModelServingErrorRate', 'firing', 20], // the third action on churn-model this hour
  [21, 'churn-model', 'ModelServingErrorRate', 'resolved', 20],
  [30, 'churn-model', 'ModelServingErrorRate', 'firing', 30], // the breaker refuses a fourth: escalated
  [31, 'fraud-scorer', 'ModelServingErrorRate', 'firing', 31], // restarts (3rd this hour); the rollback's slot is refused
  [40, 'fraud-scorer', 'ModelServingErrorRate', 'firing', 40], // cooldown since the restart at 31: refused
  [41, 'fraud-scorer', 'ModelServingErrorRate', 'resolved', 40],
];

/** Runs the script through the live engine, 30 s of fake time at a time. */
export async function liveHistory(h: EngineHarness): Promise<void> {
  const events = [...historyScript].sort((a, b) => a[0] - b[0]);
  for (let t = 0; t <= 60 * 2; t++) {
    for (const [minute, deployment, alertname, status, startsAt] of events) {
      if (minute * 2 !== t) continue;
      await h.fire(deployment, { alertname, status, startsAt: at(startsAt) });
      await h.run();
    }
    await h.advance(30_000);
  }
}

/** Replays the store's history through the table in force and checks it against the recorded heals, one for one. */
export async function expectReplayEqualsLive(h: EngineHarness): Promise<ReplayReport> {
  const recorded = recordedHeals(await h.deps.store.healHistory({ since: at(-1) }), {
    since: at(-1),
    until: h.clock.now().toISOString(),
  });
  // The history exercised what it is meant to: every guard and ending.
  const states = recorded.map((r) => r.state).sort();
  expect(states).toEqual(
    expect.arrayContaining(['resolved', 'refused', 'escalated', 'cancelled', 'awaiting_approval']),
  );

  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/policies/replay',
    headers: h.auth('operator'),
    payload: { since: '1d' },
  });
  expect(res.statusCode).toBe(200);
  const report = res.json() as ReplayReport;
  const brief = (x: ReplayReport['heals'][number]) => ({
    policy: x.policy,
    target: x.target,
    openedAt: x.openedAt,
    state: x.state,
    actions: x.actions,
  });
  const order = (a: ReturnType<typeof brief>, b: ReturnType<typeof brief>) =>
    `${a.openedAt}${a.policy}${a.target}` < `${b.openedAt}${b.policy}${b.target}` ? -1 : 1;
  expect(report.heals.map(brief)).toEqual(recorded.map(brief).sort(order));
  expect(report).toMatchObject({
    refusals: { cooldown: 2, rate_limit: 2 },
    refusalReasons: { cooldown: 2, loop_breaker: 2 },
    approvals: { autonomy: 1, approval: 1 },
    loopBreaker: [
      { target: 'Deployment/ml-prod/churn-model', refusals: 1 },
      { target: 'Deployment/ml-prod/fraud-scorer', refusals: 1 },
    ],
  });
  expect(report.difference?.counts).toEqual({ onlyInReplay: 0, onlyInBaseline: 0, changed: 0 });
  expect(report.actions).toBe(recorded.flatMap((r) => r.actions).length);
  expect(report.baseline).toEqual({ kind: 'recorded', heals: recorded.length, actions: report.actions });
  return report;
}
