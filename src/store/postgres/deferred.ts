import type pg from 'pg';
import { type DeferredRow, deferredFromRow, deferredSelect } from '../rows.js';
import type { DeferredMatch } from '../types.js';
import type { Queryable } from './db.js';

// Reads and reschedules deferred matches; settling one is ingest's (ingest.ts), since it writes what ingest does.

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
