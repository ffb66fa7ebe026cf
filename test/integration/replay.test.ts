import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../src/http/api-types.js';
import { recordedHeals } from '../../src/service/replay/tally.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import { runCli } from '../support/run-cli.js';

const at = (n: number) => new Date(Date.UTC(2026, 10, 27, 3, n)).toISOString();

/** Three policies on the same Deployments: a cooldown, a breaker across them, an approval, autonomy. */
const historyPolicies = `apiVersion: salve/v1
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
const script: Array<[number, string, string, 'firing' | 'resolved', number]> = [
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

// The CLI runs in a process of its own (tsx): slow to start on a busy machine.
describe('policy backtest', { timeout: 120_000 }, () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': historyPolicies },
      deployments: ['fraud-scorer', 'churn-model'],
    });
    await live();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Runs the script through the live engine, 30 s at a time. */
  async function live(): Promise<void> {
    const events = [...script].sort((a, b) => a[0] - b[0]);
    for (let t = 0; t <= 60 * 2; t++) {
      for (const [minute, deployment, alertname, status, startsAt] of events) {
        if (minute * 2 !== t) continue;
        await h.fire(deployment, { alertname, status, startsAt: at(startsAt) });
        await h.run();
      }
      await h.advance(30_000);
    }
  }

  it('replays the recorded history through the table that made it: the same heals and actions, one for one', async () => {
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
  });

  const env = () => ({ SALVE_DATA_DIR: h.dir, SALVE_POLICIES: h.policiesDir });
  /** The same table with a looser breaker and no cooldown on scorer-errors. */
  const candidateDir = () => {
    const dir = path.join(h.dir, 'candidate');
    fs.mkdirSync(dir, { recursive: true });
    const loose = historyPolicies.replace(
      'guards: { cooldown: 10m, maxPerTarget: "3/1h" }',
      'guards: { cooldown: 0s, maxPerTarget: "10/1h" }',
    );
    fs.writeFileSync(path.join(dir, 'p.yaml'), loose);
    return dir;
  };

  it('salve replay: a candidate table, and how it differs from what the table in force did', async () => {
    const before = await h.deps.store.verifyAudit();
    const requests = h.sim.requests.length;
    // The CLI's window ends now, on the system clock: it holds the whole history.
    const json = await runCli(['replay', '--policies', candidateDir(), '--since', '30d', '--json'], env());
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout) as ReplayReport;
    // Without the cooldown and the tight breaker, the refused heals act; the history's open heals run on to now.
    const d = report.difference!;
    expect(d.counts.onlyInReplay).toBe(0);
    expect(d.changed.map((c) => [c.replay.openedAt.slice(11, 16), c.baseline.state, c.replay.state])).toEqual(
      [
        ['03:03', 'refused', 'escalated'],
        ['03:06', 'awaiting_approval', 'cancelled'],
        ['03:30', 'escalated', 'escalated'],
        ['03:31', 'escalated', 'escalated'],
      ],
    );
    expect(d.changed[2]!.baseline.actions).toEqual([]);
    expect(d.changed[2]!.replay.actions.map((a) => a.action)).toEqual(['k8s.restart', 'k8s.rollback']);
    // 03:40's alert joins the heal 03:31 opened, still going in the replay.
    expect(d.onlyInBaseline.map((x) => x.openedAt.slice(11, 16))).toEqual(['03:40']);
    expect(report.refusalReasons).toEqual({});
    expect(report.actions).toBeGreaterThan(report.baseline.actions);
    const text = await runCli(['replay', '--policies', candidateDir(), '--since', '30d'], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `would open ${report.healsOpened} heal(s) and take ${report.actions} action(s); the recorded history: 10 heal(s), ${report.baseline.actions} action(s)`,
    );
    const row = d.policies.find((p) => p.policy === 'scorer-errors')!;
    expect(text.stdout).toMatch(
      new RegExp(
        `scorer-errors\\s+${row.baseline.heals}\\s+${row.replay.heals}\\s+${row.baseline.actions}\\s+${row.replay.actions}\n`,
      ),
    );
    expect(text.stdout).toContain('opened by both, ending otherwise (4)');
    // Nothing was written: the audit chain is as it was, and the cluster saw no request.
    const after = await h.deps.store.verifyAudit();
    expect(after.headSeq).toBe(before.headSeq);
    expect(h.sim.requests).toHaveLength(requests);
  });

  it('salve replay --from FILE: payloads with their receipt times, compared with the table in force', async () => {
    const file = path.join(h.dir, 'history.jsonl');
    const labels = { alertname: 'ModelServingErrorRate', namespace: 'ml-prod', deployment: 'fraud-scorer' };
    const line = (receivedAt: string, status: 'firing' | 'resolved', startsAt: string) =>
      JSON.stringify({ ...payload([{ labels, status, startsAt }]), receivedAt });
    fs.writeFileSync(
      file,
      [
        line('2026-12-01T10:00:00Z', 'firing', '2026-12-01T09:59:00Z'),
        line('2026-12-01T10:00:30Z', 'firing', '2026-12-01T09:59:00Z'), // a re-delivery
        line('2026-12-01T10:02:00Z', 'resolved', '2026-12-01T09:59:00Z'),
        line('2026-12-01T10:05:00Z', 'firing', '2026-12-01T10:04:00Z'),
        '',
      ].join('\n'),
    );
    const res = await runCli(['replay', '--policies', candidateDir(), '--from', file, '--json'], env());
    expect(res.stderr).toBe('');
    const report = JSON.parse(res.stdout) as ReplayReport;
    expect(report).toMatchObject({ source: 'file', deliveries: 3, alerts: 3, healsOpened: 2, actions: 2 });
    expect(report.baseline).toEqual({ kind: 'table in force', heals: 2, actions: 1 });
    expect(report.difference?.changed.map((c) => [c.baseline.state, c.replay.state])).toEqual([
      ['refused', 'verifying'],
    ]);

    fs.writeFileSync(
      file,
      `${line('2026-12-01T10:05:00Z', 'firing', '2026-12-01T10:04:00Z')}\n${line('2026-12-01T10:00:00Z', 'firing', '2026-12-01T09:00:00Z')}\n{"receivedAt": 3}\n`,
    );
    const disorder = await runCli(['replay', '--policies', candidateDir(), '--from', file], env());
    expect(disorder.code).toBe(1);
    expect(disorder.stderr).toContain(
      `${file}:2: received at 2026-12-01T10:00:00.000Z, before the line above`,
    );
    fs.writeFileSync(file, 'not json\n');
    expect((await runCli(['replay', '--policies', candidateDir(), '--from', file], env())).stderr).toContain(
      `${file}:1: not JSON`,
    );
  });

  it('POST /v1/policies/replay: operators only; bad candidates and bad sources are named', async () => {
    const post = (body: unknown, scope: 'operator' | 'viewer' = 'operator') =>
      h.app.inject({
        method: 'POST',
        url: '/v1/policies/replay',
        headers: h.auth(scope),
        payload: body as object,
      });
    expect((await post({}, 'viewer')).statusCode).toBe(403);
    const bad = await post({
      policies: [{ file: 'p.yaml', content: 'apiVersion: salve/v1\npolicies:\n  - name: X\n' }],
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.message).toMatch(/p\.yaml/);
    expect((await post({ policies: [{ file: '../../etc/passwd', content: '' }] })).statusCode).toBe(400);
    expect((await post({ since: '1d', deliveries: [{}] })).json().error.message).toMatch(/not both/);
    expect((await post({ since: 'ever' })).json().error.message).toMatch(/^since: /);
    const labels = { alertname: 'X' };
    const lines = await post({ deliveries: [{ ...payload([{ labels }]), receivedAt: 'yesterday' }] });
    expect(lines.statusCode).toBe(400);
    expect(lines.json().error.message).toMatch(/^deliveries:1: receivedAt/);
    const candidate = await post({
      policies: [{ file: 'p.yaml', content: fs.readFileSync(path.join(candidateDir(), 'p.yaml'), 'utf8') }],
      since: '1d',
      listHeals: 2,
    });
    expect(candidate.statusCode).toBe(200);
    // On the harness's clock, the window ends where the history does: 03:31's heal is still going.
    expect(candidate.json()).toMatchObject({
      healsListed: 2,
      difference: { counts: { onlyInReplay: 0, onlyInBaseline: 1 } },
    });
    expect(candidate.json().heals).toHaveLength(2);
  });
});
