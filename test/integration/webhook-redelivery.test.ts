import { afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/build-test-app.js';
import { alertGroup, appWithCountedStore, type GroupBody } from '../support/counted-store.js';

/*
 * A re-delivery whose alerts are all remembered as committed is answered at once, without the store. What
 * makes an alert the same is its identity (fingerprint, start, status), nothing else: these pin what a sender
 * changing anything else gets (what the store's INSERT OR IGNORE gave before the shortcut), and that the
 * shortcut comes after validation: a re-delivery is hostile input like any other delivery.
 */

const copy = (body: GroupBody): GroupBody => JSON.parse(JSON.stringify(body)) as GroupBody;

describe('re-deliveries: what the shortcut answers, and what it never skips', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it('labels, annotations or endsAt changed under a known identity: deduplicated, the stored alert as first committed', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = alertGroup();
    expect((await t.deliver(body)).json()).toMatchObject({ alerts: { new: 3 } });
    const stored = await c.store.listAlerts({ limit: 10 });
    const calls = { ...c.calls };

    const changed = copy(body);
    for (const a of changed.alerts) {
      a.labels = { ...a.labels, team: 'someone-else' };
      a.annotations = { summary: 'rewritten by the sender' };
      a.endsAt = '2026-11-27T05:00:00.000Z';
    }
    const res = await t.deliver(changed);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ delivery: null, alerts: { received: 3, new: 0, deduplicated: 3 } });
    expect(c.calls).toEqual(calls);
    expect(await c.store.listAlerts({ limit: 10 })).toEqual(stored);
  });

  it('a known alert re-sent resolved is another alert: written, and counted by status', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = alertGroup();
    await t.deliver(body);
    const writes = c.calls.ingest;
    const resolved = copy(body);
    resolved.alerts[0]!.status = 'resolved';
    resolved.alerts[0]!.endsAt = '2026-11-27T00:55:52.027Z';
    const res = await t.deliver(resolved);
    expect(res.json()).toMatchObject({ alerts: { received: 3, new: 1, deduplicated: 2 } });
    expect(res.json().delivery).toEqual(expect.any(Number));
    expect(c.calls.ingest).toBe(writes + 1);
    // And now that one is known too: the same delivery again is answered without the store.
    expect((await t.deliver(resolved)).json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect(c.calls.ingest).toBe(writes + 1);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^salve_alerts_received_total\{status="firing"\} 7$/m);
    expect(metrics).toMatch(/^salve_alerts_received_total\{status="resolved"\} 2$/m);
    expect(metrics).toMatch(/^salve_alerts_deduplicated_total 5$/m);
  });

  it('a known group with a defect is refused exactly as an unknown one with the same defect', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const known = alertGroup();
    await t.deliver(known);
    const calls = { ...c.calls };
    const defects: Array<[string, (body: GroupBody) => void]> = [
      [
        'a start time that is no date',
        (b) => {
          b.alerts[1]!.startsAt = '2026-13-01T00:00:00Z';
        },
      ],
      [
        'a status that is not one',
        (b) => {
          (b.alerts[0] as { status: string }).status = 'pending';
        },
      ],
      [
        'a lone surrogate in a label',
        (b) => {
          b.alerts[2]!.labels.pod = 'scorer-\ud800';
        },
      ],
      [
        'a NUL in an annotation',
        (b) => {
          b.alerts[0]!.annotations = { summary: 'a\u0000b' };
        },
      ],
      [
        'a label value that is not text',
        (b) => {
          (b.alerts[0]!.labels as Record<string, unknown>).x = 1;
        },
      ],
      [
        'no fingerprint',
        (b) => {
          delete (b.alerts[0] as { fingerprint?: string }).fingerprint;
        },
      ],
    ];
    for (const [what, spoil] of defects) {
      const again = copy(known);
      spoil(again);
      const fresh = alertGroup();
      spoil(fresh);
      const refused = await t.deliver(again);
      const other = await t.deliver(fresh);
      expect(refused.statusCode, what).toBe(400);
      expect(refused.json().error, what).toEqual(other.json().error);
    }
    expect(c.calls).toEqual(calls);
  });

  it('a known group with a forbidden prototype key is refused as any body is', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const known = alertGroup();
    await t.deliver(known);
    const calls = { ...c.calls };
    const text = JSON.stringify(known);
    for (const spoiled of [
      text.replace('"labels":{', '"labels":{"__proto__":{"x":"y"},'),
      text.replace('"labels":{', '"labels":{"constructor":{"prototype":{"x":"y"}},'),
    ]) {
      const res = await t.deliver(spoiled);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('SALVE_REQUEST_BAD_JSON');
    }
    expect(c.calls).toEqual(calls);
  });
});
