import type { Heal } from '../../domain/heal.js';
import { type HealRow, healFromRow } from '../rows.js';
import type { ClaimQuery } from '../types.js';
import { params, type Queryable } from './db.js';

const byDue = (a: HealRow, b: HealRow) =>
  (a.next_run_at ?? '') < (b.next_run_at ?? '')
    ? -1
    : (a.next_run_at ?? '') > (b.next_run_at ?? '')
      ? 1
      : a.id < b.id
        ? -1
        : a.id > b.id
          ? 1
          : 0;

/**
 * Leases due heals in one statement. SKIP LOCKED: replicas claiming at the same moment take disjoint
 * sets instead of queueing behind each other; a heal leased to a live replica is not due for the others.
 */
export async function claimDueHeals(db: Queryable, q: ClaimQuery): Promise<Heal[]> {
  const { rows } = await db.query<HealRow>(
    `WITH due AS (
       SELECT id FROM heals
        WHERE next_run_at IS NOT NULL AND next_run_at <= $1
          AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $1)
        ORDER BY next_run_at
        LIMIT $4
        FOR UPDATE SKIP LOCKED
     )
     UPDATE heals h SET lease_owner = $2, lease_until = $3 FROM due WHERE h.id = due.id
     RETURNING h.*`,
    [q.now, q.owner, q.leaseUntil, q.limit],
  );
  return rows.sort(byDue).map(healFromRow);
}

export async function releaseLeases(db: Queryable, owner: string | null): Promise<void> {
  if (owner === null)
    await db.query('UPDATE heals SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL');
  else
    await db.query('UPDATE heals SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1', [owner]);
}

/** A leased row: free, expired, or already this heal's. A dead replica's lock lapses at `until`. */
export async function acquireTargetLock(
  db: Queryable,
  targetKey: string,
  healId: string,
  now: string,
  until: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO target_locks (target_key, heal_id, until) VALUES ($1, $2, $4)
     ON CONFLICT (target_key) DO UPDATE SET heal_id = excluded.heal_id, until = excluded.until
       WHERE target_locks.heal_id = excluded.heal_id OR target_locks.until <= $3`,
    [targetKey, healId, now, until],
  );
  return rowCount === 1;
}

export async function releaseTargetLock(db: Queryable, targetKey: string, healId: string): Promise<void> {
  await db.query('DELETE FROM target_locks WHERE target_key = $1 AND heal_id = $2', [targetKey, healId]);
}

export async function countActions(
  db: Queryable,
  q: { targetKey?: string; policy?: string; since: string; excludeDryRun?: boolean },
): Promise<number> {
  const p = params();
  const where = [`started_at >= ${p.add(q.since)}`, `status <> 'failed'`];
  if (q.targetKey) where.push(`target_key = ${p.add(q.targetKey)}`);
  if (q.policy) where.push(`policy = ${p.add(q.policy)}`);
  if (q.excludeDryRun) where.push('NOT dry_run');
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM actions WHERE ${where.join(' AND ')}`,
    p.values,
  );
  return rows[0]!.n;
}

export async function lastActionAt(db: Queryable, policy: string, targetKey: string): Promise<string | null> {
  const { rows } = await db.query<{ at: string | null }>(
    `SELECT max(started_at) AS at FROM actions
      WHERE policy = $1 AND target_key = $2 AND NOT dry_run AND status <> 'failed'`,
    [policy, targetKey],
  );
  return rows[0]?.at ?? null;
}
