import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../src/http/api-types.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import { expectReplayEqualsLive, historyPolicies, liveHistory } from '../support/replay-history.js';
import { runCli } from '../support/run-cli.js';

// The CLI runs in a process of its own (tsx): slow to start on a busy machine.
describe('policy backtest', { timeout: 120_000 }, () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': historyPolicies },
      deployments: ['fraud-scorer', 'churn-model'],
    });
    await liveHistory(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('replays the recorded history through the table that made it: the same heals and actions, one for one', async () => {
    await expectReplayEqualsLive(h);
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
