import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgRunner } from '../../src/store/postgres/db.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { createPgPool, defaultPgDeadlines } from '../../src/store/postgres/pool.js';
import { waitForPostgres } from '../../src/store/postgres/startup.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { freePort } from '../support/child-salve.js';
import { fakeClock } from '../support/fake-clock.js';
import { payload } from '../support/fixtures.js';
import { captureLogs } from '../support/log-capture.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { alertOf, delivery, matchFor } from '../support/store-contract.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const firing = (deployment: string) =>
  payload([
    {
      labels: { alertname: 'ModelServingErrorRate', severity: 'page', namespace: 'ml-prod', deployment },
    },
  ]);

describe('PostgreSQL faults: connections fail their work, never the process', () => {
  it('a server shutdown (FATAL 57P01) between two statements of a transaction fails that transaction only', async () => {
    const url = await server.createDatabase();
    const database = new URL(url).pathname.slice(1);
    const logs = captureLogs();
    const pool = createPgPool(url, 2, defaultPgDeadlines, logs.log);
    const run = createPgRunner(pool, logs.log);
    try {
      const failed = run.write('a transaction', async (client) => {
        await client.query('SELECT 1');
        // The server ends the session while salve holds it between statements: no query is active.
        const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
        await server.query(
          server.adminUrl,
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'salve'`,
          [database],
        );
        await ended;
        await client.query('SELECT 1');
      });
      await expect(failed).rejects.toMatchObject({ code: 'SALVE_STORE_UNAVAILABLE' });
      // The next transaction gets a fresh connection.
      await expect(
        run.write('the next one', async (c) => (await c.query('SELECT 2 AS n')).rows[0]),
      ).resolves.toEqual({
        n: 2,
      });
    } finally {
      await pool.end();
    }
  });

  it('idle pooled connections ended by the server are replaced: the next call succeeds', async () => {
    const url = await server.createDatabase();
    const store = openPostgresStore({ url, clock: fakeClock(), poolSize: 4 });
    await store.migrate();
    try {
      await Promise.all([1, 2, 3].map(() => store.countOpenHeals()));
      await server.endSessions(url);
      await expect(store.countOpenHeals()).resolves.toMatchObject({ pending: 0 });
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL partitioned from salve (a TCP proxy that stops passing anything)', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  afterEach(async () => {
    proxy?.heal();
    await t?.close();
    await proxy?.close();
  });

  async function appBehindProxy(deadlineMs: number) {
    const url = await server.createDatabase();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const store = openPostgresStore({
      url: proxy.via(url),
      clock: fakeClock(),
      deliveryDeadlineMs: deadlineMs,
      deadlines: { connectMs: 1_000, statementMs: 3_000 },
    });
    t = await buildTestApp({
      env: { SALVE_DELIVERY_DEADLINE: `${deadlineMs}ms` },
      overrides: { store },
    });
    return url;
  }

  it('deliveries answer 503 within their deadline, /readyz is not ready within a second; both recover, logged once each way', async () => {
    await appBehindProxy(1_500);
    expect((await t.deliver(firing('before'))).statusCode).toBe(202);
    proxy.blackhole();

    const started = performance.now();
    const answers = await Promise.all(['a', 'b', 'c'].map((d) => t.deliver(firing(`during-${d}`))));
    const elapsed = performance.now() - started;
    for (const res of answers) {
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'SALVE_STORE_UNAVAILABLE' } });
    }
    // The deadline, plus what a loaded shared machine adds: under Alertmanager's 10 s either way.
    expect(elapsed).toBeLessThan(1_500 + 3_500);

    const readyStarted = performance.now();
    const ready = await t.app.inject({ url: '/readyz' });
    // Within the kubelet's probe timeout (3 s in deploy/), whatever the machine's load.
    expect(performance.now() - readyStarted).toBeLessThan(3_000);
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not ready' });
    // The outage is the probe's to confirm (its own connection times out): the partition lasts until it has.
    await waitFor(
      'the outage confirmed',
      () => t.logs.lines().filter((l) => (l.level as number) >= 50).length,
      (n) => n > 0,
    );

    proxy.heal();
    await waitFor(
      'readiness after the partition',
      async () => (await t.app.inject({ url: '/readyz' })).statusCode,
      (s) => s === 200,
    );
    expect((await t.deliver(firing('after'))).statusCode).toBe(202);

    const lines = t.logs.lines();
    expect(lines.filter((l) => l.msg === 'request failed')).toEqual([]);
    // One error line for the whole outage, whatever failed during it; the requests themselves log no error.
    expect(lines.filter((l) => (l.level as number) >= 50).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^store unavailable: PostgreSQL: .* failed \(timed out\)$/),
    ]);
    expect(lines.filter((l) => l.msg === 'store available again')).toHaveLength(1);
    // No stack in any line while the store was out.
    expect(lines.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
  });

  it('a batch stuck on a stalled connection does not hold the deliveries queued behind it', async () => {
    const url = await server.createDatabase();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    const store = openPostgresStore({
      url: proxy.via(url),
      clock: fakeClock(),
      poolSize: 2,
      deliveryDeadlineMs: 4_000,
      deadlines: { connectMs: 1_000, statementMs: 3_000 },
    });
    await store.migrate();
    const one = (i: number) =>
      delivery([
        {
          alert: alertOf({ alertname: 'X', deployment: `d${i}` }, { fingerprint: `fp-${i}` }),
          outcomes: [matchFor(`d${i}`)],
        },
      ]);
    try {
      await store.ingest(one(0));
      // The pooled connection goes silent (a lost NAT entry); new connections still pass.
      proxy.stallEstablished();
      const settled: string[] = [];
      const stuck = store.ingest(one(1)).finally(() => settled.push('stuck'));
      stuck.catch(() => undefined);
      // Two turns of the event loop: the first delivery's batch has taken the stalled connection.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      await expect(store.ingest(one(2)).finally(() => settled.push('behind'))).resolves.toMatchObject({
        new: 1,
      });
      await expect(stuck).rejects.toMatchObject({ code: 'SALVE_STORE_UNAVAILABLE' });
      // The delivery behind was committed on another connection, without waiting for the stuck one's deadline.
      expect(settled).toEqual(['behind', 'stuck']);
      // What was answered 503 is sent again by Alertmanager; it is committed then.
      await expect(store.ingest(one(1))).resolves.toMatchObject({ new: 1 });
    } finally {
      proxy.heal();
      await store.close();
    }
  });
});

describe('start-up waits for PostgreSQL, and names the server and the cause when it gives up', () => {
  const withCredentials = (url: string, user: string, password: string) => {
    const u = new URL(url);
    u.username = user;
    u.password = password;
    return u.toString();
  };

  it('connection refused: retried with backoff for SALVE_STORE_WAIT, then host:port and the cause', async () => {
    const port = await freePort();
    const started = performance.now();
    const err = await waitForPostgres({
      url: `postgres://salve:x@127.0.0.1:${port}/salve`,
      waitMs: 1_500,
      connectMs: 500,
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThan(1_000);
    expect(err).toMatchObject({ code: 'SALVE_STORE_UNAVAILABLE' });
    expect((err as Error).message).toContain(
      `PostgreSQL at 127.0.0.1:${port} (database "salve", user "salve")`,
    );
    expect((err as Error).message).toMatch(/connection refused .*still failing after \d+ s and \d+ attempts/);
  });

  it('timed out: a server that never answers', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    proxy.blackhole();
    try {
      const err = await waitForPostgres({
        url: proxy.via(server.adminUrl),
        waitMs: 1_000,
        connectMs: 400,
      }).catch((e: unknown) => e);
      expect((err as Error).message).toContain(`PostgreSQL at 127.0.0.1:${proxy.port}`);
      expect((err as Error).message).toContain(': timed out');
    } finally {
      await proxy.close();
    }
  });

  it('authentication failed and database missing are not retried, however long the wait', async () => {
    const wrong = withCredentials(server.adminUrl, 'salve', 'not-the-password');
    const auth = await waitForPostgres({ url: wrong, waitMs: 600_000, connectMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    expect((auth as Error).message).toMatch(/: authentication failed \(password authentication failed/);
    const missing = new URL(server.adminUrl);
    missing.pathname = '/no_such_database';
    const db = await waitForPostgres({ url: missing.toString(), waitMs: 600_000, connectMs: 2_000 }).catch(
      (e: unknown) => e,
    );
    expect((db as Error).message).toContain('database "no_such_database"');
    expect((db as Error).message).toMatch(/: database missing/);
  });

  it('a server that comes up while salve waits is used as soon as it answers', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    proxy.blackhole();
    const logs = captureLogs();
    try {
      const waiting = waitForPostgres({
        url: proxy.via(server.adminUrl),
        waitMs: 30_000,
        connectMs: 300,
        log: logs.log,
      });
      await waitFor(
        'the first waiting line',
        async () => logs.lines().filter((l) => l.msg === 'waiting for PostgreSQL').length,
        (n) => n > 0,
      );
      proxy.heal();
      await expect(waiting).resolves.toBeUndefined();
      expect(logs.lines().find((l) => l.msg === 'waiting for PostgreSQL')).toMatchObject({
        level: 40,
        cause: 'timed out',
      });
    } finally {
      await proxy.close();
    }
  });
});
