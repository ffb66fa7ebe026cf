import { afterEach, describe, expect, it } from 'vitest';
import { type ChildSalve, startChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';
import { getJson, postAlerts } from '../support/requests.js';
import { prepareSalveDir } from '../support/salve-dir.js';

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
    const res = await postAlerts(child.url, payload(alerts));
    expect(res.status).toBe(202);
    await child.kill9();

    child = await startChildSalve(env);
    const stored = await getJson<{ alerts: unknown[] }>(child.url, '/v1/alerts?limit=100');
    expect(stored.alerts).toHaveLength(20);
    const heals = await getJson<{ heals: unknown[] }>(child.url, '/v1/heals?limit=100');
    expect(heals.heals).toHaveLength(20);
    expect(await getJson(child.url, '/v1/audit/verify')).toMatchObject({ ok: true });
  }, 90_000); // two salve processes start (each compiles with tsx): slow on a shared two-core machine
});
