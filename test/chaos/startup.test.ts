import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildSalve, spawnChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { postAlerts } from '../support/requests.js';
import { prepareSalveDir } from '../support/salve-dir.js';
import { waitFor } from '../support/wait.js';

/*
 * PostgreSQL down when salve starts: salve waits for it (SALVE_STORE_WAIT) and serves once it is there, or gives
 * up naming the server and the cause. Waiting cannot cure a wrong password or a missing database: those end
 * the start at once.
 */

describe('chaos: PostgreSQL down at start', () => {
  let pg: TestPostgres;
  let database: string;
  const children: ChildSalve[] = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
    database = await pg.createDatabase();
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    await pg?.stop();
  });

  async function spawn(store: string, wait: string): Promise<ChildSalve> {
    const dir = prepareSalveDir();
    dirs.push(dir.dir);
    const child = await spawnChildSalve({ ...dir.env, SALVE_STORE: store, SALVE_STORE_WAIT: wait });
    children.push(child);
    return child;
  }

  it('salve waits while the database is down and serves as soon as it is up', async () => {
    await pg.shutdown('fast');
    const child = await spawn(database, '60s');
    try {
      await waitFor(
        'salve to say it waits',
        async () => child.output(),
        (out) => out.includes('waiting for PostgreSQL'),
        { timeoutMs: 30_000 },
      );
      expect(child.output()).toContain('"cause":"connection refused"');
      expect(child.process.exitCode).toBeNull();
    } finally {
      await pg.start();
    }
    const up = performance.now();
    await child.waitHealthy(30_000);
    console.info(`started serving ${Math.round(performance.now() - up)} ms after PostgreSQL came up`);
    await waitFor(
      'readiness',
      async () => (await fetch(`${child.url}/readyz`)).status,
      (s) => s === 200,
      { timeoutMs: 30_000 },
    );
    const res = await postAlerts(child.url, payload([{ labels: { alertname: 'X', severity: 'page' } }]));
    expect(res.status).toBe(202);
    expect(child.output()).toContain('PostgreSQL is reachable');
  }, 90_000);

  it('gives up after SALVE_STORE_WAIT, naming host:port, database, user and the cause', async () => {
    await pg.shutdown('fast');
    try {
      const child = await spawn(database, '2s');
      expect(await child.exited).toBe(1);
      const { hostname, port, pathname } = new URL(database);
      expect(child.output()).toContain(
        `salve: SALVE_STORE_UNAVAILABLE: PostgreSQL at ${hostname}:${port} (database "${pathname.slice(1)}", user "salve"): connection refused`,
      );
      expect(child.output()).toMatch(/still failing after \d+ s and \d+ attempts \(SALVE_STORE_WAIT\)/);
    } finally {
      await pg.start();
    }
  }, 60_000);

  it('authentication failed and database missing end the start at once, whatever SALVE_STORE_WAIT says', async () => {
    const wrong = new URL(database);
    wrong.password = 'not-the-password';
    const missing = new URL(database);
    missing.pathname = '/no_such_database';
    const [auth, db] = await Promise.all([spawn(wrong.toString(), '10m'), spawn(missing.toString(), '10m')]);
    expect(await auth.exited).toBe(1);
    expect(auth.output()).toMatch(
      /PostgreSQL at 127\.0\.0\.1:\d+ .*: authentication failed \(password authentication failed/,
    );
    expect(auth.output()).not.toContain('not-the-password');
    expect(await db.exited).toBe(1);
    expect(db.output()).toMatch(/database "no_such_database".*: database missing/);
  }, 60_000);
});
