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
        return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
      } finally {
        db.close();
      }
    },
    close: () => t.close(),
  };
}

export async function postgresBackend(server: TestPostgres, options: TestAppOptions = {}): Promise<Backend> {
  const url = await server.createDatabase();
  const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey });
  const t = await buildTestApp({ ...options, overrides: { ...options.overrides, store } });
  return {
    kind: 'postgres',
    t,
    sql: <T>(text: string, params: unknown[] = []) =>
      server.query(url, text, params) as unknown as Promise<T[]>,
    close: () => t.close(),
  };
}
