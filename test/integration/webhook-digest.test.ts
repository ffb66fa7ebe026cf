import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/app.js';
import { SalveError } from '../../src/errors.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { alertGroup, appWithCountedStore } from '../support/counted-store.js';
import { counterDelta, deliverCounted, webhookCounters } from '../support/digest-paths.js';
import { authHeaders } from '../support/requests.js';
import { waitFor } from '../support/wait.js';

/*
 * A delivery whose exact bytes were answered 202 before is answered by their digest: not parsed, walked,
 * validated or identified again. Only the same bytes, only after authentication and the body's limits, only
 * while the committed set still knows every alert in it; never for a body that was refused or not acknowledged.
 */

/** The completion line of the latest request: what the route told it, and its status. */
const lastCompletion = (t: TestApp) => {
  const line = t.logs
    .lines()
    .filter((l) => l.msg === 'request completed')
    .at(-1);
  const { statusCode, delivery, alerts, heals, refused, deferred } = line ?? {};
  return { statusCode, delivery, alerts, heals, refused, deferred };
};

describe('a delivery answered by its body’s digest', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it('the same bytes again: the answer, counters and completion line of the long way, with no store call', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const text = JSON.stringify(alertGroup());
    const first = await deliverCounted(t, text);
    expect(first).toMatchObject({ parsed: true, res: { statusCode: 202 } });
    expect(first.res.json()).toMatchObject({ alerts: { new: 3 } });
    const calls = { ...c.calls };

    // The same delivery with one more byte (JSON allows the space): the long way, deduplicated from memory.
    let before = await webhookCounters(t);
    const long = await deliverCounted(t, `${text} `);
    const longCounters = counterDelta(before, await webhookCounters(t));
    const longLine = lastCompletion(t);
    expect(long.parsed).toBe(true);

    before = await webhookCounters(t);
    const hit = await deliverCounted(t, text);
    expect(hit.parsed).toBe(false);
    expect(hit.res.statusCode).toBe(202);
    expect(hit.res.json()).toEqual(long.res.json());
    expect(hit.res.json()).toEqual({
      status: 'accepted',
      delivery: null,
      alerts: { received: 3, new: 0, deduplicated: 3 },
      heals: { opened: [], attached: [] },
      refused: 0,
      deferred: 0,
      truncatedAlerts: 0,
    });
    expect(counterDelta(before, await webhookCounters(t))).toEqual(longCounters);
    expect(longCounters).toEqual({
      'salve_alerts_received_total{status="firing"}': 3,
      salve_alerts_deduplicated_total: 3,
      'salve_webhook_requests_total{outcome="accepted"}': 1,
      salve_webhook_ack_seconds_count: 1,
    });
    expect(lastCompletion(t)).toEqual(longLine);
    expect(c.calls).toEqual(calls);
  });

  it('resolved alerts and truncatedAlerts are answered and counted as the long way does', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = alertGroup();
    body.truncatedAlerts = 7;
    body.alerts[0]!.status = 'resolved';
    body.alerts[0]!.endsAt = '2026-11-27T00:55:52.027Z';
    const text = JSON.stringify(body);
    await deliverCounted(t, text);
    let before = await webhookCounters(t);
    const long = await deliverCounted(t, ` ${text}`);
    const longCounters = counterDelta(before, await webhookCounters(t));
    before = await webhookCounters(t);
    const hit = await deliverCounted(t, text);
    expect(hit.parsed).toBe(false);
    expect(hit.res.json()).toEqual(long.res.json());
    expect(hit.res.json()).toMatchObject({ truncatedAlerts: 7, alerts: { received: 3, deduplicated: 3 } });
    expect(counterDelta(before, await webhookCounters(t))).toEqual(longCounters);
    expect(longCounters).toMatchObject({
      'salve_alerts_received_total{status="firing"}': 2,
      'salve_alerts_received_total{status="resolved"}': 1,
    });
  });

  it('a body one byte apart (whitespace, key order, a label, a fingerprint) takes the long way', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = alertGroup();
    const text = JSON.stringify(body);
    await deliverCounted(t, text);
    expect((await deliverCounted(t, text)).parsed).toBe(false);

    const { status, ...rest } = body;
    const reordered = JSON.stringify({ ...rest, status });
    const relabelled = text.replace('"severity":"critical"', '"severity":"criticaL"');
    const refingered = text.replace(
      `"fingerprint":"${body.alerts[0]!.fingerprint}"`,
      `"fingerprint":"${body.alerts[0]!.fingerprint.replace(/.$/, (d) => (d === '0' ? '1' : '0'))}"`,
    );
    for (const variant of [`${text}\n`, reordered, relabelled, refingered]) {
      expect(variant).not.toBe(text);
      const writes = c.calls.ingest;
      const res = await deliverCounted(t, variant);
      expect(res.parsed).toBe(true);
      expect(res.res.statusCode).toBe(202);
      // Only a changed identity is new; the rest is deduplicated, as before the digest.
      expect(res.res.json().alerts).toEqual(
        variant === refingered
          ? { received: 3, new: 1, deduplicated: 2 }
          : { received: 3, new: 0, deduplicated: 3 },
      );
      expect(c.calls.ingest).toBe(writes + (variant === refingered ? 1 : 0));
      // Now those bytes are known too.
      expect((await deliverCounted(t, variant)).parsed).toBe(false);
    }
  });

  it('a refused body is never remembered: refused the same way every time', async () => {
    t = await buildTestApp();
    const body = alertGroup();
    const wrongShape = JSON.stringify({ ...body, status: 'burning' });
    const loneSurrogate = JSON.stringify(body).replace('"severity":"critical"', '"severity":"\\ud800"');
    for (const text of [wrongShape, loneSurrogate, wrongShape, loneSurrogate]) {
      const res = await deliverCounted(t, text);
      expect(res.parsed).toBe(true);
      expect(res.res.statusCode).toBe(400);
    }
    expect((await t.deliver(wrongShape)).json().error.code).toBe('SALVE_WEBHOOK_INVALID');
    expect((await t.deliver(loneSurrogate)).json().error.code).toBe('SALVE_REQUEST_INVALID_TEXT');
    for (const [text, code] of [
      ['null', 'SALVE_WEBHOOK_INVALID'],
      ['[]', 'SALVE_WEBHOOK_INVALID'],
      ['', 'SALVE_REQUEST_BAD_JSON'],
      ['{"alerts":', 'SALVE_REQUEST_BAD_JSON'],
    ] as const) {
      for (let i = 0; i < 2; i++) {
        const res = await t.deliver(text);
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toBe(code);
      }
    }
  });

  it('a body shaped like what the digest answers with is only a payload, and refused', async () => {
    t = await buildTestApp();
    const forged = JSON.stringify({
      known: { ids: [], firing: 0, resolved: 0, truncatedAlerts: 0 },
      bytes: { type: 'Buffer', data: [] },
      '#recalled': true,
    });
    for (let i = 0; i < 2; i++) {
      const res = await t.deliver(forged);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('SALVE_WEBHOOK_INVALID');
    }
    const poisoned = '{"__proto__":{"known":{"ids":[]}},"alerts":[]}';
    expect((await t.deliver(poisoned)).json().error.code).toBe('SALVE_REQUEST_BAD_JSON');
  });

  it('a known body re-sent without the right token is refused before anything is answered', async () => {
    t = await buildTestApp();
    const text = JSON.stringify(alertGroup());
    await t.deliver(text);
    const before = await webhookCounters(t);
    const post = (headers: Record<string, string>) =>
      t!.app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: { 'content-type': 'application/json', ...headers },
        payload: text,
      });
    expect((await post({})).statusCode).toBe(401);
    expect((await post({ authorization: 'Bearer not-the-token' })).statusCode).toBe(401);
    expect((await post(authHeaders('viewer'))).statusCode).toBe(403);
    expect(counterDelta(before, await webhookCounters(t))).toEqual({
      'salve_webhook_requests_total{outcome="unauthorized"}': 3,
    });
  });

  it('a known body still meets the content type and the size limit', async () => {
    t = await buildTestApp();
    const text = JSON.stringify(alertGroup());
    await t.deliver(text);
    const post = (payload: string, type: string) =>
      t!.app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: { ...authHeaders('alertmanager'), 'content-type': type },
        payload,
      });
    expect((await post(text, 'text/plain')).statusCode).toBe(415);
    const padded = text + ' '.repeat(BODY_LIMIT - text.length + 1);
    expect((await post(padded, 'application/json')).statusCode).toBe(413);
    expect((await post(text, 'application/json')).statusCode).toBe(202);
  });

  it('a body whose first acceptance failed (503) is not remembered: its retry is written, then remembered', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const text = JSON.stringify(alertGroup());
    c.failNextIngest(
      new SalveError('SALVE_STORE_UNAVAILABLE', 'the store could not commit (injected)', { retryable: true }),
    );
    expect((await deliverCounted(t, text)).res.statusCode).toBe(503);
    const retried = await waitFor(
      'the retry acknowledged',
      () => deliverCounted(t!, text),
      (r) => r.res.statusCode === 202,
    );
    expect(retried.parsed).toBe(true);
    expect(retried.res.json()).toMatchObject({ alerts: { new: 3 } });
    expect((await deliverCounted(t, text)).parsed).toBe(false);
  });

  it('a failure seen anywhere: a known body goes back to the store, and is answered by digest once read', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const text = JSON.stringify(alertGroup());
    await deliverCounted(t, text);
    expect((await deliverCounted(t, text)).parsed).toBe(false);
    c.failNextIngest(new Error('SQLITE_CORRUPT: database disk image is malformed (injected)'));
    expect((await t.deliver(alertGroup())).statusCode).toBe(500);
    const reads = c.calls.knownAlerts;
    const again = await deliverCounted(t, text);
    expect(again.parsed).toBe(true);
    expect(again.res.json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect(c.calls.knownAlerts).toBe(reads + 1);
    expect((await deliverCounted(t, text)).parsed).toBe(false);
    expect(c.calls.knownAlerts).toBe(reads + 1);
  });

  it('the database replaced under the running process: a known body is refused, not answered by digest', async () => {
    t = await buildTestApp();
    const app = t;
    const text = JSON.stringify(alertGroup());
    expect((await app.deliver(text)).statusCode).toBe(202);
    expect((await deliverCounted(app, text)).parsed).toBe(false);
    const db = path.join(app.dir, 'salve.db');
    fs.copyFileSync(db, `${db}.copy`);
    fs.renameSync(`${db}.copy`, db);
    expect((await app.deliver(alertGroup())).statusCode).toBe(503);
    await waitFor(
      'the store declared down',
      () => app.app.inject({ url: '/readyz' }),
      (r) => r.statusCode === 503,
    );
    const resent = await deliverCounted(app, text);
    expect(resent.parsed).toBe(true);
    expect(resent.res.statusCode).toBe(503);
    expect(resent.res.json().error.code).toBe('SALVE_STORE_UNAVAILABLE');
  });
});
