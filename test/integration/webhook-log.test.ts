import { afterEach, describe, expect, it } from 'vitest';
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

describe('the webhook log: one line per delivery, with what it came to', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('a delivery writes one `request completed` line carrying the request, the status, the time and its outcome', async () => {
    t = await buildTestApp();
    const res = await t.deliver(payload([scorer('a'), scorer('b')]));
    expect(res.statusCode).toBe(202);
    const lines = t.logs.lines().filter((l) => l.reqId !== undefined);
    expect(lines.map((l) => l.msg)).toEqual(['heal opened', 'request completed']);
    const [opened, completed] = lines;
    expect(opened).toMatchObject({ policy: expect.any(String), heal: res.json().heals.opened[0].id });
    expect(completed).toMatchObject({
      level: 30,
      reqId: opened?.reqId,
      req: { method: 'POST', url: '/v1/alertmanager', remoteAddress: expect.any(String) },
      res: { statusCode: 202 },
      responseTime: expect.any(Number),
      delivery: res.json().delivery,
      alerts: { received: 2, new: 2, deduplicated: 0 },
      heals: { opened: 1, attached: 0 },
      refused: 0,
      deferred: 0,
    });
    // Never the credentials.
    expect(JSON.stringify(completed)).not.toMatch(/authorization|Bearer/i);
  });

  it('a re-delivery says so; a refused delivery logs why and completes with its status, without an outcome', async () => {
    t = await buildTestApp();
    const body = payload([scorer('a')]);
    await t.deliver(body);
    await t.deliver(body);
    const refused = await t.deliver({ alerts: 'none' });
    expect(refused.statusCode).toBe(400);
    const completed = t.logs.lines().filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(3);
    expect(completed[1]).toMatchObject({ delivery: null, alerts: { received: 1, new: 0, deduplicated: 1 } });
    expect(completed[2]).toMatchObject({ res: { statusCode: 400 } });
    expect(completed[2]).not.toHaveProperty('alerts');
    expect(t.logs.lines().find((l) => l.msg === 'request refused')).toMatchObject({
      reqId: completed[2]?.reqId,
      code: 'SALVE_WEBHOOK_INVALID',
    });
    expect(t.logs.lines().filter((l) => l.msg === 'incoming request')).toEqual([]);
  });

  it("other routes keep both of fastify's lines", async () => {
    t = await buildTestApp();
    await t.app.inject({ url: '/v1/heals', headers: t.auth('viewer') });
    expect(t.logs.lines().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'request completed']),
    );
  });
});
