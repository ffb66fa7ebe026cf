import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.js';

const MIN = 60_000;
const key = 'R0UTINGKEY0123456789abcdefABCDEF';
const policy = (guards: string) => `${servingPolicy}    guards: ${guards}\n    notify: [pagerduty]\n`;
const pagedApproval = policy('{ cooldown: 30m, maxPerTarget: "3/1h", approval: { pageAfter: 20m } }');

describe('paging through PagerDuty', () => {
  let h: EngineHarness | undefined;
  let again: TestApp | undefined;
  let pd: FakePagerDuty;
  afterEach(async () => {
    await again?.close();
    await h?.close();
    await pd?.close();
    again = h = undefined;
  });

  const env = () => ({
    SALVE_PAGERDUTY_ROUTING_KEY: key,
    SALVE_PAGERDUTY_URL: pd.enqueueUrl,
    SALVE_PUBLIC_URL: 'https://salve.example',
    SALVE_APPROVAL_TIMEOUT: '1h',
  });
  const start = async (policyText = pagedApproval) => {
    pd = await startFakePagerDuty();
    h = await startEngineHarness({ policies: { 'p.yaml': policyText }, env: env() });
    return h;
  };
  const send = async () => {
    await h!.deps.dispatcher.drain();
  };
  const actions = () => pd.accepted().map((e) => e.event_action);

  it('pages when an approval waits past pageAfter, acknowledges on approval, resolves when the heal resolves', async () => {
    const { opened } = await (await start()).fire('fraud-scorer');
    const id = opened[0]!;
    const dedup = `salve/${id}`;
    await h!.run();
    const waiting = await h!.heal(id);
    expect(waiting).toMatchObject({ state: 'awaiting_approval', pagedAt: null });
    const requestedAt = Date.parse(waiting.updatedAt);
    expect(waiting.pageAt).toBe(new Date(requestedAt + 20 * MIN).toISOString());
    expect(waiting.nextRunAt).toBe(waiting.pageAt);
    await send();
    // PagerDuty hears nothing of a heal that does not need a human yet; the outbox settles it as skipped.
    expect(pd.requests).toHaveLength(0);
    const skipped = await h!.deps.store.queryAudit({ type: 'notification.skipped', limit: 10 });
    expect(skipped.map((r) => r.data.why)).toEqual([
      'approval.requested: PagerDuty is told only what needs a human (an escalation, an overdue approval) and its end',
    ]);

    await h!.advance(19 * MIN);
    await send();
    expect(pd.requests).toHaveLength(0);
    await h!.advance(1 * MIN);
    await send();
    expect(actions()).toEqual(['trigger']);
    const paged = await h!.heal(id);
    expect(paged).toMatchObject({ state: 'awaiting_approval', pageAt: null, pagedAt: expect.any(String) });
    expect(paged.nextRunAt).toBe(paged.deadlineAt);
    const trigger = pd.accepted()[0]!;
    expect(trigger).toMatchObject({
      routing_key: key,
      dedup_key: dedup,
      client_url: `https://salve.example/#/heals/${id}`,
      payload: {
        severity: 'critical',
        source: 'Deployment/ml-prod/fraud-scorer',
        class: 'salve approval overdue',
      },
    });
    expect(trigger.payload.summary).toBe(
      'salve: ModelServingErrorRate on Deployment ml-prod/fraud-scorer has waited for 20m for an approval to heal (policy scorer-error-rate): would restart the pods of Deployment ml-prod/fraud-scorer (rollout restart); then roll back Deployment ml-prod/fraud-scorer to its last known good release (the newest revision that differs from the current one in more than restarts, from before the alert began)',
    );
    expect(trigger.links?.[0]).toEqual({
      href: `https://salve.example/#/heals/${id}`,
      text: 'salve: the heal in the console',
    });
    const timeline = trigger.payload.custom_details.timeline as string[];
    expect(timeline.some((line) => line.includes('approval.requested await_approval'))).toBe(true);
    expect(timeline.some((line) => line.includes('notification.'))).toBe(false);
    const record = (await h!.timeline(id)).find((r) => r.type === 'approval.paged');
    expect(record).toMatchObject({ outcome: 'paged', data: { waitingSince: waiting.updatedAt } });

    // Paged once: waiting longer pages no more.
    await h!.advance(10 * MIN);
    await send();
    expect(actions()).toEqual(['trigger']);

    const approve = await h!.app.inject({
      method: 'POST',
      url: `/v1/heals/${id}/approve`,
      headers: h!.auth('operator'),
    });
    expect(approve.statusCode).toBe(200);
    await h!.run();
    await send();
    expect(actions()).toEqual(['trigger', 'acknowledge']);
    expect(pd.alert(dedup)?.status).toBe('acknowledged');

    await h!.advance(2_000);
    await h!.resolve('fraud-scorer');
    await h!.run();
    expect((await h!.heal(id)).state).toBe('resolved');
    await send();
    expect(actions()).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(pd.alert(dedup)?.status).toBe('resolved');
    expect(await h!.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('resolves the page when the approval is rejected, expires, or the alerts resolve', async () => {
    await start();
    const rejected = (await h!.fire('fraud-scorer')).opened[0]!;
    await h!.run();
    await h!.advance(21 * MIN);
    await h!.app.inject({
      method: 'POST',
      url: `/v1/heals/${rejected}/reject`,
      headers: h!.auth('operator'),
    });
    await send();
    expect(pd.alert(`salve/${rejected}`)?.status).toBe('resolved');

    const expired = (await h!.fire('fraud-scorer', { startsAt: '2026-11-27T03:30:00.000Z' })).opened[0]!;
    await h!.run();
    await h!.advance(21 * MIN);
    await h!.advance(40 * MIN);
    expect(await h!.heal(expired)).toMatchObject({
      state: 'cancelled',
      reason: 'approval_expired',
      pageAt: null,
    });
    await send();
    expect(pd.alert(`salve/${expired}`)?.events.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);

    const cleared = (await h!.fire('fraud-scorer', { startsAt: '2026-11-27T05:00:00.000Z' })).opened[0]!;
    await h!.run();
    await h!.advance(21 * MIN);
    await h!.resolve('fraud-scorer', { startsAt: '2026-11-27T05:00:00.000Z' });
    await h!.run();
    expect(await h!.heal(cleared)).toMatchObject({ state: 'cancelled', reason: 'alerts_resolved' });
    await send();
    expect(pd.alert(`salve/${cleared}`)?.status).toBe('resolved');
  });

  it('keeps the page timer when the heal is woken early, and fires it after a restart', async () => {
    await start();
    await h!.fire('fraud-scorer', { labels: { pod: 'a' } });
    const { attached } = await h!.fire('fraud-scorer', { labels: { pod: 'b' } });
    const id = attached[0]!;
    await h!.run();
    const { pageAt } = await h!.heal(id);
    // One of its two alerts resolves: the heal wakes, still waits, and its next look is still the page.
    await h!.advance(5 * MIN);
    await h!.resolve('fraud-scorer', { labels: { pod: 'a' } });
    await h!.run();
    expect(await h!.heal(id)).toMatchObject({ state: 'awaiting_approval', pageAt, nextRunAt: pageAt });

    // salve stops before the page is due and starts again after: the store holds the timer.
    const { dir, clock } = h!;
    await h!.app.close();
    await h!.deps.close();
    const { sim } = h!;
    h = { close: () => sim.close() } as EngineHarness;
    await clock.advance(16 * MIN);
    again = await buildTestApp({
      dir,
      policies: { 'p.yaml': pagedApproval },
      env: env(),
      overrides: { clock },
    });
    await again.deps.engine.drain();
    await again.deps.dispatcher.drain();
    expect(actions()).toEqual(['trigger']);
    expect((await again.deps.store.getHeal(id))?.pagedAt).toBe(clock.now().toISOString());
  });

  it('never pages when the approval expires first: pageAfter not shorter than the approval timeout', async () => {
    await start(policy('{ cooldown: 30m, approval: { pageAfter: 1h } }'));
    const id = (await h!.fire('fraud-scorer')).opened[0]!;
    await h!.run();
    const waiting = await h!.heal(id);
    expect(waiting).toMatchObject({ state: 'awaiting_approval', pageAt: null });
    expect(waiting.nextRunAt).toBe(waiting.deadlineAt);
    await h!.advance(61 * MIN);
    expect(await h!.heal(id)).toMatchObject({
      state: 'cancelled',
      reason: 'approval_expired',
      pagedAt: null,
    });
    await send();
    expect(pd.requests).toHaveLength(0);
    expect(await h!.deps.store.queryAudit({ healId: id, type: 'approval.paged', limit: 10 })).toEqual([]);
  });

  it('pages anew when an approved heal escalates: the acknowledged incident is resolved, a new one triggered', async () => {
    await start();
    const id = (await h!.fire('fraud-scorer')).opened[0]!;
    await h!.run();
    await h!.advance(20 * MIN);
    await h!.app.inject({ method: 'POST', url: `/v1/heals/${id}/approve`, headers: h!.auth('operator') });
    await h!.run();
    for (const ms of [2_000, 10 * MIN, 2_000, 15 * MIN]) await h!.advance(ms);
    expect((await h!.heal(id)).state).toBe('escalated');
    await send();
    expect(actions()).toEqual(['trigger', 'acknowledge', 'resolve', 'trigger']);
    expect(pd.alerts().map((a) => [a.number, a.status, a.notifications])).toEqual([
      [1, 'resolved', 1],
      [2, 'triggered', 1],
    ]);
  });

  it('triggers an incident when a heal escalates, with what was tried and the story so far', async () => {
    await start(policy('{ cooldown: 30m, maxPerTarget: "3/1h" }'));
    const { opened } = await h!.fire('fraud-scorer');
    const id = opened[0]!;
    await h!.run();
    await h!.advance(2_000);
    await h!.advance(10 * MIN);
    await h!.advance(2_000);
    await h!.advance(15 * MIN);
    expect((await h!.heal(id)).state).toBe('escalated');
    await send();
    expect(actions()).toEqual(['trigger']);
    const [trigger] = pd.accepted();
    expect(trigger!.payload.summary).toBe(
      'salve: ModelServingErrorRate on Deployment ml-prod/fraud-scorer not healed by k8s.restart, then k8s.rollback (policy scorer-error-rate): 1 alert(s) still firing at the deadline',
    );
    const details = trigger!.payload.custom_details;
    expect(details).toMatchObject({
      heal: id,
      state: 'escalated',
      tried: ['step 1: k8s.restart', 'step 2: k8s.rollback'],
    });
    const timeline = details.timeline as string[];
    expect(timeline.filter((line) => / action\.finished changed: step \d k8s\./.test(line))).toHaveLength(2);
    expect(timeline.some((line) => / heal\.next_step next_step: /.test(line))).toBe(true);
    // Nothing before was paged, so nothing was resolved first.
    expect(pd.alerts()).toHaveLength(1);
  });
});
