import type pg from 'pg';
import type { StoreStatements } from '../port.js';
import { type DeferredRow, deferredFromRow, deferredSelect } from '../rows.js';
import type { DeferredMatch } from '../types.js';
import { prepared, type Queryable } from './db.js';

/** Keeps deferred matches (text fixed, so parsed once per connection). */
const insertDeferredSql = prepared(
  `INSERT INTO deferred_matches (id, fingerprint, starts_at, status, policy, subject, detail, delivery_id,
                                 actor, dry_run, attempts, next_at, created_at)
   SELECT id, f, s, st, p, sub, d, $8::bigint, $9::text, $10::boolean, 0, $11::text, $11::text
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       AS u(id, f, s, st, p, sub, d)
   ON CONFLICT DO NOTHING`,
);

/** The statement `insertDeferredMatches` runs (the ingest batch sends it with its next one: nobody reads it). */
export function deferredMatchesInsert(
  ...[rows, deliveryId, input]: Parameters<StoreStatements['insertDeferredMatches']>
): pg.QueryConfig {
  return insertDeferredSql([
    rows.map((r) => r.id),
    rows.map((r) => r.fingerprint),
    rows.map((r) => r.startsAt),
    rows.map((r) => r.status),
    rows.map((r) => r.policy),
    rows.map((r) => JSON.stringify(r.subject)),
    rows.map((r) => r.detail),
    deliveryId,
    input.actor,
    input.dryRun,
    input.receivedAt,
  ]);
}

/** Deferred matches' statements (kept at ingest, taken when settled: src/store/programs/). */
export function pgDeferredStatements(
  client: pg.PoolClient,
): Pick<StoreStatements, 'insertDeferredMatches' | 'takeDeferredMatch'> {
  return {
    async insertDeferredMatches(rows, deliveryId, input) {
      await client.query(deferredMatchesInsert(rows, deliveryId, input));
    },
    async takeDeferredMatch(id) {
      // Row-locked: a replica settling the same match at the same moment waits, then finds it gone.
      const { rows } = await client.query<DeferredRow>(`${deferredSelect} WHERE d.id = $1 FOR UPDATE OF d`, [
        id,
      ]);
      const row = rows[0];
      if (row === undefined) return null;
      await client.query('DELETE FROM deferred_matches WHERE id = $1', [id]);
      return deferredFromRow(row);
    },
  };
}

// Reads and reschedules deferred matches (the retry loop's, outside any program).

export async function dueDeferredMatches(db: Queryable, at: string, limit: number): Promise<DeferredMatch[]> {
  const { rows } = await db.query<DeferredRow>(
    `${deferredSelect} WHERE d.next_at <= $1 ORDER BY d.next_at, d.id LIMIT $2`,
    [at, limit],
  );
  return rows.map(deferredFromRow);
}

export async function retryDeferredMatch(
  client: pg.PoolClient,
  id: string,
  nextAt: string,
  detail: string,
): Promise<void> {
  await client.query(
    'UPDATE deferred_matches SET attempts = attempts + 1, next_at = $1, detail = $2 WHERE id = $3',
    [nextAt, detail, id],
  );
}

export async function countDeferredMatches(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM deferred_matches');
  return Number(rows[0]?.n ?? 0);
}
