import type pg from 'pg';
import {
  type ActionRecordInput,
  fullLimit,
  type LimitCounts,
  type SlotReservation,
} from '../../domain/ledger.js';
import { limitReached, noLimitSince } from '../limits.js';
import { lockSpace, storeLocks } from './locks.js';

/** Rows that count against the limits (as countActions counts them): not failed, not dry-run. */
const counted = `status <> 'failed' AND NOT dry_run`;

/**
 * Takes the step's slot in the counted limits. Every reservation, on every replica, counts and inserts under
 * one advisory lock: two heals passing their guards at the same moment cannot both take the last slot.
 * The lock is taken after the heal's row and before the audit lock, like every lock of a transition.
 */
export async function reserveSlot(client: pg.PoolClient, r: SlotReservation, at: string): Promise<void> {
  const a = r.action;
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [lockSpace, storeLocks.limits]);
  const held = await client.query(`SELECT 1 FROM actions WHERE heal_id = $1 AND step = $2 AND ${counted}`, [
    a.healId,
    a.step,
  ]);
  if (held.rowCount) return;
  const { rows } = await client.query<{ global: number; target: number; last: string | null }>(
    `SELECT
       (SELECT count(*)::int FROM actions WHERE started_at >= $1 AND ${counted}) AS global,
       (SELECT count(*)::int FROM actions WHERE target_key = $2 AND started_at >= $3 AND ${counted}) AS target,
       (SELECT max(started_at) FROM actions
         WHERE policy = $4 AND target_key = $2 AND heal_id <> $5 AND started_at >= $6 AND ${counted}) AS last`,
    [
      r.limits.global.since,
      a.targetKey,
      r.limits.target?.since ?? noLimitSince,
      a.policy,
      a.healId,
      r.limits.cooldownSince ?? noLimitSince,
    ],
  );
  const row = rows[0]!;
  const counts: LimitCounts = { global: row.global, target: row.target, cooldownLastAt: row.last };
  const hit = fullLimit(r.limits, counts);
  if (hit) throw limitReached(hit);
  await client.query(
    `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
     VALUES ($1, $2, $3, $4, $5, $6, false, $7, 'reserved')
     ON CONFLICT (heal_id, step) DO UPDATE SET status = 'reserved', dry_run = false, started_at = excluded.started_at,
       attempt = excluded.attempt, action = excluded.action, finished_at = NULL, detail = NULL`,
    [a.healId, a.policy, a.targetKey, a.action, a.step, a.attempt, at],
  );
}

/**
 * Records the action as started. A reserved slot becomes the started action (from now, for the cooldown);
 * a run after a crash or a retry keeps the row and its time.
 */
export async function startAction(client: pg.PoolClient, a: ActionRecordInput, at: string): Promise<void> {
  await client.query(
    `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'started')
     ON CONFLICT (heal_id, step) DO UPDATE SET attempt = excluded.attempt,
       dry_run = CASE WHEN actions.status = 'reserved' THEN excluded.dry_run ELSE actions.dry_run END,
       started_at = CASE WHEN actions.status = 'reserved' THEN excluded.started_at ELSE actions.started_at END,
       status = CASE WHEN actions.status = 'reserved' THEN 'started' ELSE actions.status END`,
    [a.healId, a.policy, a.targetKey, a.action, a.step, a.attempt, a.dryRun, at],
  );
}

/** A heal that closes without acting gives its slot back. */
export async function releaseSlots(client: pg.PoolClient, healId: string): Promise<void> {
  await client.query(`DELETE FROM actions WHERE heal_id = $1 AND status = 'reserved'`, [healId]);
}
