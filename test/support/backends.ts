import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { buildTestApp, type TestApp, type TestAppOptions } from './build-test-app.js';
import { fakeClock } from './fake-clock.js';
import type { TestPostgres } from './postgres.js';
import { testAuditKey } from './store-contract.js';

/**
 * A test app on one of the two stores, with a way to reach its database behind salve's back, as an attacker
 * with write access to it would. SQL is written with $1, $2 (PostgreSQL); SQLite gets `?` in the same order.
 */
export type Backend = {
  kind: 'sqlite' | 'postgres';
  t: TestApp;
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Stops this salve and starts another on the same data directory and database (a restart). */
  restart(): Promise<Backend>;
  close(): Promise<void>;
};

export async function sqliteBackend(options: TestAppOptions = {}): Promise<Backend> {
  const t = await buildTestApp(options);
  const file = path.join(t.dir, 'salve.db');
  return {
    kind: 'sqlite',
    t,
    async sql<T>(text: string, params: unknown[] = []) {
      const db = new BetterSqlite3(file);
      try {
        const statement = db.prepare(text.replace(/\$\d+/g, '?'));
        if (statement.reader) return statement.all(...params) as T[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    },
    async restart() {
      await t.close();
      return sqliteBackend({ ...options, dir: t.dir });
    },
    close: () => t.close(),
  };
}

export async function postgresBackend(
  server: TestPostgres,
  options: TestAppOptions = {},
  existing?: string,
): Promise<Backend> {
  const url = existing ?? (await server.createDatabase());
  const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey });
  // The data directory's key file (prepareSalveDir) is the store's key: what salve reports is what seals.
  const t = await buildTestApp({ ...options, overrides: { ...options.overrides, store } });
  return {
    kind: 'postgres',
    t,
    sql: <T>(text: string, params: unknown[] = []) =>
      server.query(url, text, params) as unknown as Promise<T[]>,
    async restart() {
      await t.close();
      return postgresBackend(server, { ...options, dir: t.dir }, url);
    },
    close: () => t.close(),
  };
}
