import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { fingerprintOf, payload } from '../support/fixtures.js';

// GET /v1/alerts: alerts are keyed by start time first, so a fingerprint (or a status) is read with a start
// time: one start (`startsAt`) or a window of starts of a week at most (`startedSince`, `startedUntil`).

const labels = {
  alertname: 'ModelServingErrorRate',
  severity: 'critical',
  namespace: 'ml-prod',
  deployment: 'a',
};
const other = { ...labels, deployment: 'b' };
const fp = fingerprintOf(labels);
const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h)).toISOString();

describe('GET /v1/alerts by start time', () => {
  let t: TestApp;
  const get = async (query: string) => {
    const res = await t.app.inject({ url: `/v1/alerts?${query}`, headers: t.auth('viewer') });
    return { status: res.statusCode, body: res.json() };
  };
  const rows = (body: { alerts: Array<{ fingerprint: string; startsAt: string; status: string }> }) =>
    body.alerts.map((a) => `${a.fingerprint === fp ? 'a' : 'b'} ${a.startsAt} ${a.status}`);

  beforeAll(async () => {
    t = await buildTestApp();
    // Alert a fires on the 1st, the 10th (resolved) and the 20th; alert b on the 10th.
    await t.deliver(payload([{ labels, startsAt: day(1) }]));
    await t.deliver(
      payload([
        { labels, startsAt: day(10) },
        { labels: other, startsAt: day(10) },
      ]),
    );
    await t.deliver(payload([{ labels, startsAt: day(10), status: 'resolved' }]));
    await t.deliver(payload([{ labels, startsAt: day(20) }]));
  });
  afterAll(async () => {
    await t.close();
  });

  it('one alert: its fingerprint and start, firing and resolved, oldest first', async () => {
    const res = await get(`fingerprint=${fp}&startsAt=${day(10)}`);
    expect(res.status).toBe(200);
    expect(rows(res.body)).toEqual([`a ${day(10)} firing`, `a ${day(10)} resolved`]);
    expect(res.body.nextCursor).toBeNull();
    // Any RFC 3339 spelling of the same instant.
    const offset = await get(`fingerprint=${fp}&startsAt=${encodeURIComponent('2026-11-10T01:00:00+01:00')}`);
    expect(rows(offset.body)).toEqual(rows(res.body));
    expect(rows((await get(`startsAt=${day(10)}&status=firing`)).body)).toEqual([
      `a ${day(10)} firing`,
      `b ${day(10)} firing`,
    ]);
  });

  it("an alert's starts in a window: since inclusive, until exclusive, a week by default, paged", async () => {
    expect(rows((await get(`fingerprint=${fp}&startedSince=${day(1)}`)).body)).toEqual([
      `a ${day(1)} firing`,
    ]);
    expect(rows((await get(`fingerprint=${fp}&startedSince=${day(4)}&status=firing`)).body)).toEqual([
      `a ${day(10)} firing`,
    ]);
    expect(
      rows((await get(`fingerprint=${fp}&startedSince=${day(9)}&startedUntil=${day(10)}`)).body),
    ).toEqual([]);
    const first = await get(`fingerprint=${fp}&startedSince=${day(5)}&limit=1`);
    expect(rows(first.body)).toEqual([`a ${day(10)} firing`]);
    const second = await get(
      `fingerprint=${fp}&startedSince=${day(5)}&limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(rows(second.body)).toEqual([`a ${day(10)} resolved`]);
    expect(rows((await get('limit=10')).body)).toHaveLength(5);
  });

  it('refuses a fingerprint or a status without a start time, naming the parameter and what it needs', async () => {
    for (const query of [`fingerprint=${fp}`, 'status=firing', `fingerprint=${fp}&startedUntil=${day(20)}`]) {
      const res = await get(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('SALVE_REQUEST_INVALID');
      expect(res.body.error.message).toMatch(/^(fingerprint|status|startedUntil): .*(startsAt|startedSince)/);
    }
    expect((await get(`fingerprint=${fp}`)).body.error.message).toBe(
      'fingerprint: needs startsAt (one start time) or startedSince (a window of 7 days at most): alerts are found by their start time first',
    );
  });

  it('refuses a window wider than a week, backwards, or beside startsAt', async () => {
    const wide = await get(`fingerprint=${fp}&startedSince=${day(1)}&startedUntil=${day(8, 1)}`);
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toBe('startedUntil: must be after startedSince, by 7 days at most');
    expect((await get(`fingerprint=${fp}&startedSince=${day(8)}&startedUntil=${day(8)}`)).status).toBe(400);
    expect((await get(`fingerprint=${fp}&startedSince=${day(8)}&startedUntil=${day(1)}`)).status).toBe(400);
    expect((await get(`fingerprint=${fp}&startedSince=${day(1)}&startedUntil=${day(8)}`)).status).toBe(200);
    const both = await get(`fingerprint=${fp}&startsAt=${day(1)}&startedSince=${day(1)}`);
    expect(both.body.error.message).toBe(
      'startsAt: either startsAt or a window (startedSince, startedUntil), not both',
    );
  });

  it('hostile input: malformed, huge or repeated times, unknown statuses, long fingerprints', async () => {
    const cases: Array<[string, RegExp]> = [
      [`fingerprint=${fp}&startsAt=yesterday`, /^startsAt: expected an RFC 3339 timestamp/],
      [`fingerprint=${fp}&startsAt=${'9'.repeat(100_000)}`, /^startsAt: expected an RFC 3339 timestamp/],
      [`fingerprint=${fp}&startsAt=+275760-09-13T00:00:00Z`, /^startsAt: expected an RFC 3339 timestamp/],
      [`fingerprint=${fp}&startsAt=${day(1)}&startsAt=${day(10)}`, /^startsAt: /],
      [`fingerprint=${fp}&startedSince=${day(1)}%00`, /startedSince: holds a NUL/],
      [`fingerprint=${fp}&startsAt=${day(1)}&status=pending`, /^status: /],
      [`fingerprint=${'f'.repeat(129)}&startsAt=${day(1)}`, /^fingerprint: /],
      [`fingerprint=${fp}&startsAt=${day(1)}&cursor=-1`, /^cursor: expected a cursor from a previous page/],
    ];
    for (const [query, message] of cases) {
      const res = await get(query);
      expect(res.status, query.slice(0, 80)).toBe(400);
      expect(res.body.error.message, query.slice(0, 80)).toMatch(message);
    }
    // The far edge of the calendar is a time like any other: an empty answer, never an error or a scan.
    expect((await get(`fingerprint=${fp}&startedSince=9999-12-31T23:59:59.999Z`)).body.alerts).toEqual([]);
    expect((await get(`fingerprint=${fp}&startsAt=0000-01-01T00:00:00Z`)).body.alerts).toEqual([]);
  });

  it('is for viewers, and documents its parameters in the OpenAPI document', async () => {
    expect((await t.app.inject({ url: `/v1/alerts?startsAt=${day(1)}` })).statusCode).toBe(401);
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const params = doc.paths['/v1/alerts'].get.parameters as Array<{ name: string; description?: string }>;
    expect(params.map((p) => p.name).sort()).toEqual(
      ['cursor', 'fingerprint', 'limit', 'startedSince', 'startedUntil', 'startsAt', 'status'].sort(),
    );
    expect(params.find((p) => p.name === 'fingerprint')?.description).toMatch(/startsAt.*startedSince/);
    expect(doc.paths['/v1/alerts'].get.description).toMatch(/7 days at most/);
  });
});
