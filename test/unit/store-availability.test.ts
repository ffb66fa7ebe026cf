import { describe, expect, it } from 'vitest';
import { SalveError } from '../../src/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createStoreAvailability } from '../../src/store/availability.js';
import type { Store } from '../../src/store/types.js';
import { captureLogs } from '../support/log-capture.js';
import { until, waitFor } from '../support/wait.js';

const down = () => new SalveError('SALVE_STORE_UNAVAILABLE', 'PostgreSQL: committing failed (timed out)');

/** A store whose ping and one write do what the test says. */
function fakeStore() {
  const state = { ping: 'ok' as 'ok' | 'fail' | 'hang', writes: 'ok' as 'ok' | 'fail' };
  const store = {
    kind: 'postgres',
    ping: () =>
      state.ping === 'ok'
        ? Promise.resolve()
        : state.ping === 'fail'
          ? Promise.reject(down())
          : new Promise<void>(() => undefined),
    setSetting: () => (state.writes === 'ok' ? Promise.resolve() : Promise.reject(down())),
  } as unknown as Store;
  return { state, store };
}

describe('the store availability monitor', () => {
  it('a failed call the probe does not confirm is not an outage: no error line, one summary', async () => {
    const { state, store } = fakeStore();
    const logs = captureLogs();
    const health = createStoreAvailability({
      store,
      log: logs.log,
      metrics: createMetrics(),
      summaryEveryMs: 0,
    });
    const observed = health.observe(store);
    state.writes = 'fail';
    await expect(observed.setSetting('k', 'v')).rejects.toMatchObject({ code: 'SALVE_STORE_UNAVAILABLE' });
    await until('the summary line', () =>
      logs.lines().some((l) => l.msg === 'store calls failed while the store commits'),
    );
    expect(logs.lines().filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(logs.lines().find((l) => l.msg === 'store calls failed while the store commits')).toMatchObject({
      failures: { setSetting: 1 },
    });
    expect(await health.readiness()).toEqual({ ok: true, detail: 'ok (commits)' });
  });

  it('an outage: one error line, quiet while it lasts but for the summary, one line when it is back', async () => {
    const { state, store } = fakeStore();
    const logs = captureLogs();
    const metrics = createMetrics();
    const health = createStoreAvailability({ store, log: logs.log, metrics, summaryEveryMs: 60_000 });
    const observed = health.observe(store);
    state.ping = 'fail';
    state.writes = 'fail';
    for (let i = 0; i < 20; i++) await observed.setSetting('k', 'v').catch(() => undefined);
    await until('an error line', () => logs.lines().some((l) => (l.level as number) >= 50));
    for (let i = 0; i < 20; i++) await observed.setSetting('k', 'v').catch(() => undefined);
    expect(await health.readiness()).toMatchObject({ ok: false, detail: expect.stringMatching(/timed out/) });
    expect((await metrics.storeUp.get()).values[0]?.value).toBe(0);

    const errors = logs.lines().filter((l) => (l.level as number) >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'store unavailable: PostgreSQL: committing failed (timed out)' });
    expect(JSON.stringify(errors[0])).not.toContain('stack');

    state.ping = 'ok';
    // A probe younger than 250 ms answers for the store: the next one after that commits.
    const ready = await waitFor(
      'readiness',
      () => health.readiness(),
      (r) => r.ok,
    );
    expect(ready).toEqual({ ok: true, detail: 'ok (commits)' });
    const back = logs.lines().filter((l) => l.msg === 'store available again');
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: 30, failures: { setSetting: 40, probe: expect.any(Number) } });
    expect((await metrics.storeUp.get()).values[0]?.value).toBe(1);
  });

  it('/readyz answers within its bound when the store does not answer at all', async () => {
    const { state, store } = fakeStore();
    const health = createStoreAvailability({
      store,
      log: captureLogs().log,
      metrics: createMetrics(),
      answerMs: 100,
    });
    state.ping = 'hang';
    const started = performance.now();
    expect(await health.readiness()).toEqual({ ok: false, detail: 'the store did not commit within 100 ms' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('says whether the store is up and counts every failure it sees, calls and probes alike', async () => {
    const { state, store } = fakeStore();
    const health = createStoreAvailability({ store, log: captureLogs().log, metrics: createMetrics() });
    const observed = health.observe(store);
    expect(health.isUp()).toBe(true);
    expect(health.failuresSeen()).toBe(0);
    state.writes = 'fail';
    await observed.setSetting('k', 'v').catch(() => undefined);
    // The call, then the probe it sent (which commits: still up).
    await until('the probe', async () => (await health.readiness()).ok);
    expect(health.failuresSeen()).toBe(1);
    expect(health.isUp()).toBe(true);
    state.ping = 'fail';
    expect(await health.probe()).toBe(false);
    expect(health.failuresSeen()).toBe(2);
    expect(health.isUp()).toBe(false);
    state.ping = 'ok';
    expect(await health.probe()).toBe(true);
    expect(health.isUp()).toBe(true);
    expect(health.failuresSeen()).toBe(2);
  });
});
