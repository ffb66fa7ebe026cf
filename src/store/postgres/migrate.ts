import type pg from 'pg';
import { SalveError } from '../../errors.js';
import { lockSpace, storeLocks } from './locks.js';
import { postgresMigrations } from './migrations.js';

async function applyPending(client: pg.PoolClient, now: () => Date): Promise<void> {
  await client.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
  );
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  const latest = Math.max(0, ...applied);
  const known = Math.max(...postgresMigrations.map((m) => m.version));
  if (latest > known) {
    throw new SalveError(
      'SALVE_STORE_MIGRATION_FAILED',
      `the database is at schema version ${latest}, newer than this salve knows (${known}); upgrade salve`,
    );
  }
  for (const migration of postgresMigrations) {
    if (applied.has(migration.version)) continue;
    try {
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        migration.version,
        migration.name,
        now().toISOString(),
      ]);
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new SalveError(
        'SALVE_STORE_MIGRATION_FAILED',
        `migration ${migration.version} (${migration.name}) failed`,
        { cause },
      );
    }
  }
}

/**
 * Applies what is missing under a session advisory lock: replicas starting together queue behind one
 * another, and each finds the schema the first one left.
 */
export async function migratePostgres(pool: pg.Pool, now: () => Date): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (cause) {
    throw new SalveError('SALVE_STORE_UNAVAILABLE', 'PostgreSQL: cannot connect to migrate the schema', {
      cause,
      retryable: true,
    });
  }
  try {
    // A long migration on another replica is worth waiting for, whatever timeouts the pool sets.
    await client.query('SET lock_timeout = 0; SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1, $2)', [lockSpace, storeLocks.migrations]);
    try {
      await applyPending(client, now);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [lockSpace, storeLocks.migrations]);
    }
  } catch (err) {
    if (err instanceof SalveError) throw err;
    throw new SalveError('SALVE_STORE_MIGRATION_FAILED', 'PostgreSQL: migrating the schema failed', {
      cause: err,
    });
  } finally {
    // The session settings above must not follow this connection back into the pool.
    client.release(true);
  }
}
