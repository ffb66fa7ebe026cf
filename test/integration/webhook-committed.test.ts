import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normaliseAlert } from '../../src/alerts/schema.js';
import { SalveError } from '../../src/errors.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { appWithCountedStore, alertGroup as group } from '../support/counted-store.js';
import { atMinute } from '../support/fake-clock.js';
import { waitFor } from '../support/wait.js';

/*
 * A re-delivery of alerts this process saw committed is answered from memory, with the same answer as a read
 * would give. The memory must never make an alert that is not durable look known: a commit that fails, a
 * failure seen anywhere, a store replaced under the running process.
 */

describe('re-deliveries answered from what this process saw committed', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it('a re-delivery of a committed group: no read, no write, the same answer and metrics as before', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group();
    const first = await t.deliver(body);
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({ alerts: { received: 3, new: 3, deduplicated: 0 } });
    const before = { ...c.calls };

    const again = await t.deliver(body);
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({
      status: 'accepted',
      delivery: null,
      alerts: { received: 3, new: 0, deduplicated: 3 },
      heals: { opened: [], attached: [] },
      refused: 0,
      deferred: 0,
      truncatedAlerts: 0,
    });
    expect(c.calls).toEqual(before);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^salve_alerts_deduplicated_total 3$/m);
    expect(metrics).toMatch(/^salve_alerts_received_total\{status="firing"\} 6$/m);
  });

  it('a group with one new alert: the known ones from memory, only the new one is read and written', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group(2);
    await t.deliver(body);
    const grown = { ...body, alerts: [...body.alerts, ...group(1).alerts] };
    const reads = c.calls.knownAlerts;
    const res = await t.deliver(grown);
    expect(res.json()).toMatchObject({ alerts: { received: 3, new: 1, deduplicated: 2 } });
    expect(c.calls.knownAlerts).toBe(reads + 1);
    // Now all three are known.
    const writes = c.calls.ingest;
    expect((await t.deliver(grown)).json()).toMatchObject({ delivery: null, alerts: { new: 0 } });
    expect(c.calls.ingest).toBe(writes);
  });

  it('alerts committed by someone else (another replica, an earlier run) are learned by reading them once', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group();
    // Committed behind this process's back, through the store itself.
    await c.store.ingest({
      receivedAt: c.clock.now().toISOString(),
      actor: 'alertmanager:elsewhere',
      delivery: { receiver: 'salve', groupKey: '{}', externalURL: '', status: 'firing', truncatedAlerts: 0 },
      alerts: body.alerts.map((a) => ({ alert: normaliseAlert(a), outcomes: [] })),
      dryRun: false,
    });
    const reads = c.calls.knownAlerts;
    expect((await t.deliver(body)).json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect(c.calls.knownAlerts).toBe(reads + 1);
    expect((await t.deliver(body)).json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect(c.calls.knownAlerts).toBe(reads + 1);
  });

  it('a new incident (started after this process began) is not read before it is written', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group();
    for (const a of body.alerts) a.startsAt = atMinute(1);
    await c.clock.advance(120_000);
    const res = await t.deliver(body);
    expect(res.json()).toMatchObject({ alerts: { received: 3, new: 3 }, heals: { opened: [{}] } });
    expect(c.calls).toEqual({ knownAlerts: 0, ingest: 1 });
    // Its re-delivery is answered from memory; a group started before this process began is read.
    expect((await t.deliver(body)).json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect((await t.deliver(group())).json()).toMatchObject({ alerts: { new: 3 } });
    expect(c.calls).toEqual({ knownAlerts: 1, ingest: 2 });
  });

  it('an alert dated by a clock far ahead, committed before this process began, is still deduplicated by the store', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group();
    for (const a of body.alerts) a.startsAt = atMinute(30);
    // An earlier run committed it (its start time beyond what this process looks up), and opened its heal.
    await c.store.ingest({
      receivedAt: c.clock.now().toISOString(),
      actor: 'alertmanager:earlier-run',
      delivery: { receiver: 'salve', groupKey: '{}', externalURL: '', status: 'firing', truncatedAlerts: 0 },
      alerts: body.alerts.map((a) => ({ alert: normaliseAlert(a), outcomes: [] })),
      dryRun: false,
    });
    const res = await t.deliver(body);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      alerts: { received: 3, new: 0, deduplicated: 3 },
      heals: { opened: [], attached: [] },
    });
    expect(c.calls.knownAlerts).toBe(0);
    expect(await c.store.listAlerts({ limit: 10 })).toHaveLength(3);
    // Known from now on.
    expect((await t.deliver(body)).json()).toMatchObject({ delivery: null });
  });

  it('a commit that fails leaves nothing remembered: the retry is written, and then is in the store', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const body = group();
    c.failNextIngest(
      new SalveError('SALVE_STORE_UNAVAILABLE', 'the store could not commit (injected)', { retryable: true }),
    );
    const refused = await t.deliver(body);
    expect(refused.statusCode).toBe(503);
    // Alertmanager retries: the alerts are not known, they go to the store and are committed.
    const retried = await waitFor(
      'the retry acknowledged',
      () => t!.deliver(body),
      (r) => r.statusCode === 202,
    );
    expect(retried.json()).toMatchObject({ alerts: { new: 3, deduplicated: 0 } });
    expect(await c.store.listAlerts({ limit: 10 })).toHaveLength(3);
  });

  it('a commit that fails with any other error leaves nothing remembered either, and forgets what was', async () => {
    const c = await appWithCountedStore();
    t = c.t;
    const known = group();
    await t.deliver(known);
    c.failNextIngest(new Error('SQLITE_CORRUPT: database disk image is malformed (injected)'));
    expect((await t.deliver(group())).statusCode).toBe(500);
    // What was remembered is read again from the store: the failure says nothing good about what it holds.
    const reads = c.calls.knownAlerts;
    expect((await t.deliver(known)).json()).toMatchObject({ delivery: null, alerts: { deduplicated: 3 } });
    expect(c.calls.knownAlerts).toBe(reads + 1);
  });

  it('the database replaced under the running process: a re-delivery of committed alerts is refused, not answered from memory', async () => {
    t = await buildTestApp();
    const app = t;
    const body = group();
    expect((await app.deliver(body)).statusCode).toBe(202);
    expect((await app.deliver(body)).json()).toMatchObject({ delivery: null });

    // A restore over the running salve: the open file is no longer the one at its path.
    const db = path.join(app.dir, 'salve.db');
    fs.copyFileSync(db, `${db}.copy`);
    fs.renameSync(`${db}.copy`, db);
    expect((await app.deliver(group())).statusCode).toBe(503);
    await waitFor(
      'the store declared down',
      () => app.app.inject({ url: '/readyz' }),
      (r) => r.statusCode === 503,
    );
    const resent = await app.deliver(body);
    expect(resent.statusCode).toBe(503);
    expect(resent.json().error.code).toBe('SALVE_STORE_UNAVAILABLE');
  });
});
