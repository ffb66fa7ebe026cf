import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationEvent } from '../../src/domain/notification.js';
import { exampleEvents } from '../../src/notify/examples.js';
import { createHttp } from '../../src/notify/http-post.js';
import { pagerDutyEvents } from '../../src/notify/pagerduty/events.js';
import { sendPagerDuty } from '../../src/notify/pagerduty/send.js';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.js';

const key = 'R0UTINGKEY0123456789abcdefABCDEF';
const dedup = 'salve/heal_01kb2m3n4p5q6r7s8t9v0w1x2y';
const http = createHttp();
const options = { timeoutMs: 2_000, now: () => new Date('2026-11-27T03:30:00.000Z') };

const example = (kind: NotificationEvent['kind'], pagedAt: string | null = null): NotificationEvent => {
  const event = structuredClone(exampleEvents.find((e) => e.event.kind === kind)!.event);
  event.heal.pagedAt = pagedAt;
  return event;
};

describe('sending to the Events API v2', () => {
  let pd: FakePagerDuty;
  afterEach(async () => {
    await pd?.close();
  });

  const send = (event: NotificationEvent, routingKey = key) =>
    sendPagerDuty(http, pd.enqueueUrl, routingKey, pagerDutyEvents(event, routingKey), options);

  it('opens one incident per heal, acknowledges it on approval and resolves it when the heal ends', async () => {
    pd = await startFakePagerDuty();
    const paged = '2026-11-27T03:20:01.000Z';
    expect(await send(example('approval.overdue', paged))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alert(dedup)).toMatchObject({ status: 'triggered', severity: 'critical', notifications: 1 });
    const approved = example('approval.decided', paged);
    expect(await send(approved)).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alert(dedup)?.status).toBe('acknowledged');
    expect(await send(example('heal.resolved', paged))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alert(dedup)?.status).toBe('resolved');
    expect(pd.requests.map((r) => [r.body.event_action, r.status])).toEqual([
      ['trigger', 202],
      ['acknowledge', 202],
      ['resolve', 202],
    ]);
    // No credential travels in a header: the routing key is in the body.
    expect(pd.requests[0]!.headers.authorization).toBeUndefined();
    expect(pd.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('pages again when an approved heal escalates: the acknowledged incident would stay silent', async () => {
    pd = await startFakePagerDuty();
    const paged = '2026-11-27T03:20:01.000Z';
    await send(example('approval.overdue', paged));
    await send(example('approval.decided', paged));
    expect(await send(example('heal.escalated', paged))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alerts().map((a) => [a.number, a.status, a.notifications])).toEqual([
      [1, 'resolved', 1],
      [2, 'triggered', 1],
    ]);
    expect(pd.alert(dedup)?.summary).toContain('not healed by k8s.restart, then k8s.rollback');
  });

  it('sends nothing for what needs no human, and nothing to resolve for a heal never paged', async () => {
    pd = await startFakePagerDuty();
    for (const kind of ['heal.opened', 'step.result', 'heal.resolved', 'approval.requested'] as const) {
      expect(pagerDutyEvents(example(kind), key)).toEqual([]);
    }
    expect(await send(example('heal.resolved'))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.requests).toHaveLength(0);
  });

  it("dead-letters a 400 with PagerDuty's own errors, never the routing key", async () => {
    pd = await startFakePagerDuty();
    const wrong = 'too-short-routing-key';
    const delivery = await send(example('heal.escalated'), wrong);
    expect(delivery).toEqual({
      outcome: 'dead',
      status: 400,
      error:
        "HTTP 400 invalid event: Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)",
    });
  });

  it('retries a 429 after Retry-After when given, else 30 s as PagerDuty suggests', async () => {
    pd = await startFakePagerDuty();
    pd.answerNext({ status: 429, retryAfter: '5' });
    expect(await send(example('heal.escalated'))).toMatchObject({
      outcome: 'retry',
      status: 429,
      retryAfterMs: 5_000,
    });
    pd.answerNext({ status: 429 });
    expect(await send(example('heal.escalated'))).toMatchObject({
      outcome: 'retry',
      status: 429,
      retryAfterMs: 30_000,
    });
    expect(await send(example('heal.escalated'))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alerts()).toHaveLength(1);
  });

  it('retries a 5xx and a refused connection; a retry of a half-sent pair lands once', async () => {
    pd = await startFakePagerDuty();
    const paged = '2026-11-27T03:20:01.000Z';
    await send(example('approval.overdue', paged));
    await send(example('approval.decided', paged));
    // The resolve goes through, the trigger meets an outage: the whole pair is retried.
    pd.answerNext('process');
    pd.answerNext({ status: 503, body: { status: 'unavailable', message: 'try later' } });
    expect(await send(example('heal.escalated', paged))).toMatchObject({ outcome: 'retry', status: 503 });
    expect(await send(example('heal.escalated', paged))).toEqual({ outcome: 'sent', status: 202 });
    expect(pd.alerts().map((a) => [a.number, a.status])).toEqual([
      [1, 'resolved'],
      [2, 'triggered'],
    ]);
    const gone = await startFakePagerDuty();
    await gone.close();
    const events = pagerDutyEvents(example('heal.escalated'), key);
    const refused = await sendPagerDuty(http, gone.enqueueUrl, key, events, options);
    expect(refused).toMatchObject({ outcome: 'retry', status: null });
    expect(refused.outcome === 'retry' && refused.error).toBe('request failed (ECONNREFUSED)');
  });
});
