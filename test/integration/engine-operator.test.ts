import { afterEach, describe, expect, it } from 'vitest';
import { servingPolicy } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

const MIN = 60_000;
const withGuards = (guards: string) => `${servingPolicy}    guards: ${guards}\n`;
const approvalPolicy = withGuards('{ cooldown: 30m, maxPerTarget: "3/1h", approval: true }');
const manual = (extra: Record<string, unknown> = {}) => ({
  policy: 'scorer-error-rate',
  labels: { namespace: 'ml-prod', deployment: 'fraud-scorer' },
  reason: 'error budget burning; restarting by hand',
  ...extra,
});

describe('approvals', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('holds the heal until an operator approves, records who, then acts', async () => {
    h = await startEngineHarness({ policies: { 'p.yaml': approvalPolicy } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({
      state: 'awaiting_approval',
      deadlineAt: expect.any(String),
    });
    expect(h.sim.mutations()).toHaveLength(0);
    // What the dashboard's "approvals waiting" reads.
    expect((await h.app.inject({ url: '/metrics' })).body).toMatch(
      /^salve_open_heals\{state="awaiting_approval"\} 1$/m,
    );
    const viewer = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${opened[0]}/approve`,
      headers: h.auth('viewer'),
    });
    expect(viewer.statusCode).toBe(403);
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${opened[0]}/approve`,
      headers: h.auth('operator'),
      payload: { comment: 'go' },
    });
    expect(res.statusCode).toBe(200);
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'verifying', approvedBy: 'token:operator' });
    expect(h.patches()).toHaveLength(1);
    const granted = (await h.timeline(opened[0]!)).find((r) => r.type === 'approval.granted');
    expect(granted).toMatchObject({ actor: 'token:operator', data: { comment: 'go' } });
    const twice = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${opened[0]}/approve`,
      headers: h.auth('operator'),
    });
    expect(twice.statusCode).toBe(409);
  });

  it('a rejection cancels the heal and nothing is acted on', async () => {
    h = await startEngineHarness({ policies: { 'p.yaml': approvalPolicy } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/heals/${opened[0]}/reject`,
      headers: h.auth('operator'),
    });
    expect(res.json().heal).toMatchObject({ state: 'cancelled', reason: 'rejected' });
    await h.advance(MIN);
    expect(h.sim.mutations()).toHaveLength(0);
  });

  it('alerts that resolve while the heal waits for approval cancel it', async () => {
    h = await startEngineHarness({ policies: { 'p.yaml': approvalPolicy } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.resolve('fraud-scorer');
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'cancelled', reason: 'alerts_resolved' });
  });

  it('an approval that never comes expires', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': approvalPolicy },
      env: { SALVE_APPROVAL_TIMEOUT: '30m' },
    });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(31 * MIN);
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'cancelled', reason: 'approval_expired' });
    expect(h.sim.mutations()).toHaveLength(0);
  });
});

describe('dry-run', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('global dry-run walks the whole path and no request reaches the Kubernetes API', async () => {
    h = await startEngineHarness({ env: { SALVE_DRY_RUN: 'true' } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(10 * MIN);
    await h.advance(15 * MIN);
    expect(h.sim.requests).toHaveLength(0);
    const heal = await h.heal(opened[0]!);
    // Its own end: not escalated (no one is paged for a dry run), but what it would have come to, and why.
    expect(heal).toMatchObject({
      state: 'dry_run',
      dryRun: true,
      reason: 'would have escalated: 1 alert(s) still firing at the deadline',
    });
    const last = (await h.timeline(heal.id)).at(-1)!;
    expect(last).toMatchObject({
      type: 'heal.dry_run_finished',
      outcome: 'dry_run',
      data: { wouldHave: 'escalated' },
    });
    const wouldHave = (await h.timeline(heal.id))
      .filter((r) => r.type === 'action.dry_run')
      .map((r) => r.data.wouldHave);
    expect(wouldHave).toHaveLength(2);
    expect(String(wouldHave[0])).toMatch(/restart/i);
    expect(String(wouldHave[1])).toMatch(/roll back/i);
  });

  it('a per-policy dryRun does not count towards cooldown or the loop breaker', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': withGuards('{ cooldown: 30m, maxPerTarget: "1/1h", dryRun: true }') },
    });
    const first = await h.fire('fraud-scorer', { startsAt: '2026-11-27T02:00:00.000Z' });
    await h.run();
    await h.resolve('fraud-scorer', { startsAt: '2026-11-27T02:00:00.000Z' });
    await h.run();
    expect(await h.heal(first.opened[0]!)).toMatchObject({
      state: 'dry_run',
      reason: 'would have resolved: alerts_resolved',
    });
    // Nor towards effectiveness: no resolution, no time to resolve.
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /salve_heals_total\{policy="scorer-error-rate",action="k8s.restart",outcome="dry_run"\} 1/,
    );
    expect(metrics).not.toMatch(/outcome="resolved"/);
    expect(metrics).not.toMatch(/salve_time_to_resolve_seconds_count\{[^}]*\} [1-9]/);
    expect(await h.deps.store.countActions({ since: '2026-11-27T00:00:00.000Z', excludeDryRun: true })).toBe(
      0,
    );
    const second = await h.fire('fraud-scorer', { startsAt: '2026-11-27T02:30:00.000Z' });
    await h.run();
    expect((await h.heal(second.opened[0]!)).state).toBe('verifying');
    expect(h.sim.requests).toHaveLength(0);
  });
});

describe('dry-run notifications', () => {
  let h: EngineHarness | undefined;
  afterEach(async () => {
    await h?.close();
  });

  it('a dry run that would escalate tells "dry run finished", never "needs a human"', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': `${servingPolicy}    notify: [slack]\n` },
      env: { SALVE_DRY_RUN: 'true', SALVE_SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hook' },
    });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(10 * MIN);
    await h.advance(15 * MIN);
    expect((await h.heal(opened[0]!)).state).toBe('dry_run');
    const now = h.clock.now().toISOString();
    const queued = await h.deps.store.claimOutbox({ now, owner: 'test', leaseUntil: now, limit: 50 });
    const kinds = queued.map((item) => item.event.kind);
    expect(kinds).toContain('heal.dry_run');
    expect(kinds).not.toContain('heal.escalated');
    const finished = queued.find((item) => item.event.kind === 'heal.dry_run')!.event;
    expect(finished.dryRun).toEqual({
      wouldHave: 'escalated',
      why: '1 alert(s) still firing at the deadline',
    });
    expect(finished.heal).toMatchObject({ state: 'dry_run', dryRun: true });
  });
});

describe('manual heals', () => {
  let h: EngineHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('an operator opens a heal with labels that fill the templates, and it acts', async () => {
    h = await startEngineHarness();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual(),
    });
    expect(res.statusCode).toBe(201);
    const heal = res.json().heal;
    expect(heal).toMatchObject({
      targetKey: 'Deployment/ml-prod/fraud-scorer',
      trigger: { kind: 'manual', actor: 'token:operator' },
    });
    await h.run();
    expect(h.patches()).toHaveLength(1);
    await h.advance(2_000);
    // No alert to wait for: the step succeeding closes it.
    expect(await h.heal(heal.id)).toMatchObject({ state: 'resolved', reason: 'action_succeeded' });
  });

  it('the same Idempotency-Key returns the same heal', async () => {
    h = await startEngineHarness();
    const headers = { ...h.auth('operator'), 'idempotency-key': 'incident-42-restart' };
    const a = await h.app.inject({ method: 'POST', url: '/v1/heals', headers, payload: manual() });
    await h.run();
    await h.advance(2_000);
    const b = await h.app.inject({ method: 'POST', url: '/v1/heals', headers, payload: manual() });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(200);
    expect(b.json().heal.id).toBe(a.json().heal.id);
    expect(h.patches()).toHaveLength(1);
  });

  it('without a key, a second request while the first heal is open returns that heal', async () => {
    h = await startEngineHarness();
    const a = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual(),
    });
    const b = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual(),
    });
    expect(b.json()).toMatchObject({ created: false, heal: { id: a.json().heal.id } });
  });

  it('force skips the cooldown but never allow or the loop breaker', async () => {
    h = await startEngineHarness({
      policies: { 'p.yaml': withGuards('{ cooldown: 1h, maxPerTarget: "2/1h" }') },
    });
    const first = (
      await h.app.inject({ method: 'POST', url: '/v1/heals', headers: h.auth('operator'), payload: manual() })
    ).json();
    await h.run();
    await h.advance(2_000);
    expect((await h.heal(first.heal.id)).state).toBe('resolved');

    const cooled = (
      await h.app.inject({ method: 'POST', url: '/v1/heals', headers: h.auth('operator'), payload: manual() })
    ).json();
    await h.run();
    expect(await h.heal(cooled.heal.id)).toMatchObject({ state: 'refused', reason: 'cooldown' });

    const forced = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/heals',
        headers: h.auth('operator'),
        payload: manual({ force: true }),
      })
    ).json();
    await h.run();
    await h.advance(2_000);
    expect((await h.heal(forced.heal.id)).state).toBe('resolved');
    expect(h.patches()).toHaveLength(2);

    const broken = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/heals',
        headers: h.auth('operator'),
        payload: manual({ force: true }),
      })
    ).json();
    await h.run();
    expect(await h.heal(broken.heal.id)).toMatchObject({ state: 'escalated', reason: 'loop_breaker' });

    const outside = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual({ force: true, labels: { namespace: 'kube-system', deployment: 'coredns' } }),
    });
    expect(outside.statusCode).toBe(422);
    expect(outside.json().error).toMatchObject({ code: 'SALVE_HEAL_REFUSED' });
    expect(outside.json().error.message).toMatch(/not_allowed/);
    expect(h.patches()).toHaveLength(2);
  });

  it('a manual heal needs the operator scope and a reason', async () => {
    h = await startEngineHarness();
    const viewer = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('viewer'),
      payload: manual(),
    });
    expect(viewer.statusCode).toBe(403);
    const noReason = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual({ reason: ' ' }),
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.message).toMatch(/^reason: /);
    const unknown = await h.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: h.auth('operator'),
      payload: manual({ policy: 'nope' }),
    });
    expect(unknown.statusCode).toBe(404);
  });
});
