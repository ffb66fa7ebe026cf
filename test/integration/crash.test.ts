import { afterEach, describe, expect, it } from 'vitest';
import { prepareSalveDir, testTokens } from '../support/build-test-app.js';
import { type ChildSalve, startChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';

describe('durability', () => {
  let child: ChildSalve | undefined;
  afterEach(async () => {
    await child?.stop();
  });

  it('a kill -9 right after a 202 loses nothing: after restart the alert and its heal are there', async () => {
    const { env } = prepareSalveDir();
    child = await startChildSalve(env);
    const alerts = Array.from({ length: 20 }, (_, i) => ({
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'page',
        namespace: 'ml-prod',
        deployment: `scorer-${i}`,
      },
    }));
    const res = await fetch(`${child.url}/v1/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testTokens.alertmanager}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload(alerts)),
    });
    expect(res.status).toBe(202);
    await child.kill9();

    child = await startChildSalve(env);
    const viewer = { authorization: `Bearer ${testTokens.viewer}` };
    const stored = (await (await fetch(`${child.url}/v1/alerts?limit=100`, { headers: viewer })).json()) as {
      alerts: unknown[];
    };
    expect(stored.alerts).toHaveLength(20);
    const heals = (await (await fetch(`${child.url}/v1/heals?limit=100`, { headers: viewer })).json()) as {
      heals: unknown[];
    };
    expect(heals.heals).toHaveLength(20);
    const verify = await (await fetch(`${child.url}/v1/audit/verify`, { headers: viewer })).json();
    expect(verify).toMatchObject({ ok: true });
  });
});
