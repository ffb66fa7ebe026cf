import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';

/** Alertmanager's GET /api/v2/alerts, answering with the fingerprints the test says are still active. */
async function alertmanagerApi(active: () => string[]) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify(
        active().map((fingerprint) => ({ fingerprint, status: { state: 'active' }, labels: {} })),
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('verification through the Alertmanager API', () => {
  let h: EngineHarness | undefined;
  let am: Awaited<ReturnType<typeof alertmanagerApi>> | undefined;
  afterEach(async () => {
    await h?.close();
    await am?.close();
  });

  it('closes the heal as resolved once Alertmanager no longer lists the alert, before any resolved notification', async () => {
    let firing = true;
    let fingerprint = '';
    am = await alertmanagerApi(() => (firing ? [fingerprint] : []));
    h = await startEngineHarness({ env: { SALVE_ALERTMANAGER_URL: am.url } });
    const { opened } = await h.fire('fraud-scorer');
    fingerprint = (await h.deps.store.listAlerts({ limit: 1 }))[0]!.fingerprint;
    await h.run();
    await h.advance(2_000); // rollout done -> resolve phase asks Alertmanager: still firing
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'verifying', stage: 'resolve' });
    expect(am.seen.some((u) => u.startsWith('/api/v2/alerts'))).toBe(true);
    firing = false;
    await h.advance(30_000);
    const heal = await h.heal(opened[0]!);
    expect(heal.state).toBe('resolved');
    const verified = (await h.timeline(heal.id)).find((r) => r.type === 'verify.resolved');
    expect(verified?.data).toMatchObject({ source: 'alertmanager api' });
  });

  it('keeps waiting (and says so in the log) when Alertmanager cannot be reached', async () => {
    h = await startEngineHarness({ env: { SALVE_ALERTMANAGER_URL: 'http://127.0.0.1:9' } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(2_000);
    await h.advance(30_000);
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'verifying', stage: 'resolve' });
    expect(h.logs.text()).toContain('could not ask Alertmanager whether alerts still fire');
  });
});
