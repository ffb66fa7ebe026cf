import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';

const scorer = (pod: string) => ({
  labels: {
    alertname: 'ModelServingErrorRate',
    severity: 'critical',
    namespace: 'ml-prod',
    deployment: 'fraud-scorer',
    pod,
  },
});

/** Lines of one request (by its id), and the levels of the request lines: 20 debug, 30 info. */
const linesOf = (t: TestApp, reqId: string) => t.logs.lines().filter((l) => l.reqId === reqId);

describe('request log lines', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('one info line per request, when it completes, with what fastify’s two lines carried; the arrival at debug', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/heals?state=pending',
      headers: { ...t.auth('viewer'), 'x-request-id': 'abc-123' },
      remoteAddress: '10.1.2.3',
    });
    expect(res.statusCode).toBe(200);
    const lines = linesOf(t, 'abc-123');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'incoming request'],
      [30, 'request completed'],
    ]);
    expect(lines[0]).toMatchObject({ method: 'GET', url: '/v1/heals', remoteAddress: '10.1.2.3' });
    expect(lines[1]).toMatchObject({
      method: 'GET',
      url: '/v1/heals',
      statusCode: 200,
      remoteAddress: '10.1.2.3',
      responseTime: expect.any(Number),
    });
  });

  it('never logs the query string, nor the token', async () => {
    const secret = 'query-secret-0123456789';
    await t.app.inject({
      method: 'GET',
      url: `/v1/heals?token=${secret}&state=pending`,
      headers: { ...t.auth('viewer'), 'x-request-id': 'q-1' },
    });
    await t.app.inject({
      method: 'GET',
      url: `/v1/heals?access_token=${secret}`,
      headers: { authorization: `Bearer ${secret}`, 'x-request-id': 'q-2' },
    });
    expect(linesOf(t, 'q-1').length).toBeGreaterThan(0);
    expect(linesOf(t, 'q-2').at(-1)).toMatchObject({ statusCode: 401, url: '/v1/heals' });
    expect(t.logs.text()).not.toContain(secret);
    expect(t.logs.text()).not.toContain('pending');
  });

  it('a webhook delivery: the completion line says what it came to', async () => {
    const body = payload([scorer('a'), scorer('b')]);
    const deliver = (id: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: { ...t.auth('alertmanager'), 'content-type': 'application/json', 'x-request-id': id },
        payload: JSON.stringify(body),
      });
    expect((await deliver('d-1')).statusCode).toBe(202);
    expect((await deliver('d-2')).statusCode).toBe(202);
    const info = (id: string) => linesOf(t, id).filter((l) => l.level === 30);
    const first = info('d-1');
    // The heal it opened has its own line; the request one.
    expect(first.map((l) => l.msg)).toEqual(['heal opened', 'request completed']);
    expect(first[1]).toMatchObject({
      method: 'POST',
      url: '/v1/alertmanager',
      statusCode: 202,
      delivery: expect.any(Number),
      alerts: { received: 2, new: 2, deduplicated: 0 },
      heals: { opened: 1, attached: 0 },
      refused: 0,
      deferred: 0,
    });
    expect(info('d-2')).toEqual([
      expect.objectContaining({
        msg: 'request completed',
        delivery: null,
        alerts: { received: 2, new: 0, deduplicated: 2 },
        heals: { opened: 0, attached: 0 },
      }),
    ]);
  });

  it('a refused delivery: the completion line with its status, the refusal with its reason', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...t.auth('alertmanager'), 'content-type': 'application/json', 'x-request-id': 'bad-1' },
      payload: JSON.stringify({ alerts: 'nope' }),
    });
    expect(res.statusCode).toBe(400);
    const lines = linesOf(t, 'bad-1').filter((l) => l.level === 30);
    expect(lines.map((l) => l.msg)).toEqual(['request refused', 'request completed']);
    expect(lines[1]).toMatchObject({ statusCode: 400 });
    expect(lines[1]).not.toHaveProperty('alerts');
  });

  it('probes stay quiet: no line below warn for /healthz, /readyz, /metrics', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      const res = await t.app.inject({ method: 'GET', url, headers: { 'x-request-id': `probe-${url}` } });
      expect(res.statusCode).toBe(200);
      expect(linesOf(t, `probe-${url}`)).toEqual([]);
    }
  });
});
