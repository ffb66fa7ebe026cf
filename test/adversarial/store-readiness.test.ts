import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { fakeClock } from '../support/fake-clock.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

/*
 * Fault class: the store stops being able to commit while salve runs, and salve must not keep saying 202.
 * Each variant: deliveries are refused with 503 (Alertmanager retries), /readyz says not ready and why, and one
 * loud log line names the cause. Variants that need root (mounts) run when root can mount, and say when skipped.
 */

let n = 0;
const firing = () => {
  n += 1;
  return payload([
    {
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'page',
        namespace: 'ml-prod',
        deployment: `scorer-${n}`,
      },
    },
  ]);
};

async function readiness(t: TestApp) {
  const res = await t.app.inject({ url: '/readyz' });
  return { status: res.statusCode, body: res.json() as { status: string; checks: { store: string } } };
}

/**
 * /readyz reuses a probe younger than a quarter of a second (it is unauthenticated: a flood of it must not be a
 * flood of writes), so right after a fault it may still answer from before: wait for it to say so.
 */
function readinessBecomes(t: TestApp, status: number) {
  return waitFor(
    `/readyz ${status}`,
    () => readiness(t),
    (r) => r.status === status,
  );
}

const errorLines = (t: TestApp) =>
  t.logs
    .lines()
    .filter((l) => (l.level as number) >= 50)
    .map((l) => String(l.msg));

describe('SQLite: the database files deleted or replaced while salve runs', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
  });

  const variants: Array<{ name: string; act: (db: string) => void; says: RegExp }> = [
    {
      name: 'all three files deleted (rm data/salve.db*)',
      act: (db) => {
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${db}${suffix}`, { force: true });
      },
      says: /salve\.db in .* was deleted while salve runs/,
    },
    {
      name: 'only the WAL deleted',
      act: (db) => fs.rmSync(`${db}-wal`),
      says: /salve\.db-wal in .* was deleted while salve runs/,
    },
    {
      name: 'the database replaced by a copy (a restore over a running salve)',
      act: (db) => {
        fs.copyFileSync(db, `${db}.copy`);
        fs.renameSync(`${db}.copy`, db);
      },
      says: /salve\.db in .* was replaced while salve runs/,
    },
  ];

  for (const v of variants) {
    it(`${v.name}: 503 from then on, not ready, one loud line; nothing is acknowledged into a lost file`, async () => {
      t = await buildTestApp();
      const db = path.join(t.dir, 'salve.db');
      expect((await t.deliver(firing())).statusCode).toBe(202);
      expect((await readiness(t)).status).toBe(200);

      v.act(db);
      const refused = await t.deliver(firing());
      expect(refused.statusCode).toBe(503);
      expect(refused.json().error.code).toBe('SALVE_STORE_UNAVAILABLE');
      expect(refused.json().error.message).toMatch(v.says);
      const ready = await readinessBecomes(t, 503);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.store).toMatch(v.says);
      // It stays lost: a later delivery is refused too, and the engine commits nothing either.
      expect((await t.deliver(firing())).statusCode).toBe(503);
      await expect(t.deps.store.setSetting('x', 'y')).rejects.toMatchObject({
        code: 'SALVE_STORE_UNAVAILABLE',
      });
      expect(errorLines(t)).toEqual([expect.stringMatching(v.says)]);
      expect(errorLines(t)[0]).toContain('restart salve');
    });
  }

  it('the shared-memory index (-shm) alone is a cache: deleting it changes nothing salve commits', async () => {
    t = await buildTestApp();
    fs.rmSync(path.join(t.dir, 'salve.db-shm'), { force: true });
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect((await readiness(t)).status).toBe(200);
  });
});

/** Root with mount(8): the variants that need a file system of their own. */
function mountSupport(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'mount(8) is not available';
  }
  return null;
}

describe('SQLite: the file system under the database stops taking writes (root only)', () => {
  const mounts: string[] = [];
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
    for (const dir of mounts.splice(0)) {
      try {
        execFileSync('umount', [dir], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('read-only remount (ext4 errors=remount-ro after an I/O error): not ready, deliveries refused', async (ctx) => {
    const missing = mountSupport();
    if (missing) {
      console.warn(`skipped: read-only remount needs root and mount (${missing})`);
      return ctx.skip(missing);
    }
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-ro-'));
    const image = path.join(base, 'fs.img');
    const dir = path.join(base, 'mnt');
    fs.mkdirSync(dir);
    fs.writeFileSync(image, '');
    fs.truncateSync(image, 32 * 1024 * 1024);
    let device: string;
    try {
      execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'ignore' });
      execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir], { stdio: 'ignore' });
      mounts.push(dir);
      device = path.basename(
        execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir], { encoding: 'utf8' }).trim(),
      );
    } catch (err) {
      const why = `cannot mount an ext4 image on a loop device here (${(err as Error).message.split('\n')[0]})`;
      console.warn(`skipped: ${why}`);
      fs.rmSync(base, { recursive: true, force: true });
      return ctx.skip(why);
    }
    const trigger = `/sys/fs/ext4/${device}/trigger_fs_error`;
    if (!fs.existsSync(trigger)) {
      console.warn(`skipped: this kernel has no ${trigger}`);
      return ctx.skip(`no ${trigger}`);
    }
    t = await buildTestApp({ dir });
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect((await readiness(t)).status).toBe(200);

    // What the kernel does on a disk error with errors=remount-ro: every write from now on fails (EROFS).
    fs.writeFileSync(trigger, '1');
    const ready = await readinessBecomes(t, 503);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store).toMatch(/cannot commit|could not commit/);
    expect((await t.deliver(firing())).statusCode).toBe(503);
    expect(errorLines(t)).toEqual([expect.stringMatching(/^store unavailable: the store could not commit/)]);
  });

  it('full disk (a small tmpfs, filled): not ready while full, ready again once there is room', async (ctx) => {
    const missing = mountSupport();
    if (missing) {
      console.warn(`skipped: full disk needs root to mount a tmpfs (${missing})`);
      return ctx.skip(missing);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { stdio: 'ignore' });
      mounts.push(dir);
    } catch (err) {
      const why = `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
      console.warn(`skipped: ${why}`);
      return ctx.skip(why);
    }
    t = await buildTestApp({ dir });
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect((await readiness(t)).status).toBe(200);

    const filler = path.join(dir, 'filler');
    const fd = fs.openSync(filler, 'w');
    try {
      const chunk = Buffer.alloc(1024 * 1024);
      for (;;) fs.writeSync(fd, chunk);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const ready = await readinessBecomes(t, 503);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store).toMatch(/is full/);
    // A delivery is either refused or, when the WAL still has room, committed for real: never a 202 for
    // something that is not on disk.
    const during = firing();
    const res = await t.deliver(during);
    expect([202, 503]).toContain(res.statusCode);
    const fingerprint = (during.alerts as Array<{ fingerprint: string }>)[0]!.fingerprint;
    const stored = await t.deps.store.listAlerts({ fingerprint, limit: 1 }).catch(() => []);
    expect(stored.length).toBe(res.statusCode === 202 ? 1 : 0);

    fs.rmSync(filler);
    expect((await readinessBecomes(t, 200)).status).toBe(200);
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect(t.logs.lines().some((l) => l.msg === 'store available again')).toBe(true);
  });
});

describe('PostgreSQL: a database that still answers reads but cannot commit', () => {
  let server: TestPostgres;
  let t: TestApp | undefined;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
  });

  it('read-only (a standby after a failover, default_transaction_read_only): not ready, deliveries 503, back when writable', async () => {
    const url = await server.createDatabase();
    const database = new URL(url).pathname.slice(1);
    const store = openPostgresStore({ url, clock: fakeClock() });
    t = await buildTestApp({ overrides: { store } });
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect((await readiness(t)).status).toBe(200);

    const setReadOnly = async (on: boolean) => {
      await server.query(
        server.adminUrl,
        `ALTER DATABASE ${database} SET default_transaction_read_only = ${on ? 'on' : 'off'}`,
      );
      // The setting holds for new sessions: salve's pooled ones are ended and come back read-only.
      await server.endSessions(url);
    };
    await setReadOnly(true);
    // A read still works: a ping would call this store healthy.
    await expect(t.deps.store.countOpenHeals()).resolves.toMatchObject({ pending: 1 });
    const ready = await readinessBecomes(t, 503);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.store).toMatch(/read-only transaction/);
    const refused = await t.deliver(firing());
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error.code).toBe('SALVE_STORE_UNAVAILABLE');

    await setReadOnly(false);
    expect((await readinessBecomes(t, 200)).status).toBe(200);
    expect((await t.deliver(firing())).statusCode).toBe(202);
    expect(errorLines(t)).toEqual([expect.stringMatching(/^store unavailable: .*read-only transaction/)]);
  });
});
