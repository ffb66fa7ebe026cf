import type pg from 'pg';
import type { StoreStatements } from '../port.js';
import { storableText } from './db.js';

/** Rows that count against the limits (as countActions counts them): not failed, not dry-run. */
const counted = `status <> 'failed' AND NOT dry_run`;

type LedgerStatements = Pick<
  StoreStatements,
  'slotHeld' | 'countLimits' | 'insertReservation' | 'startAction' | 'finishAction' | 'releaseSlots'
>;

/**
 * The action ledger's statements. Reservations count and insert under the limits lock (`lockLimits`), taken by
 * every reservation on every replica: two heals passing their guards at the same moment cannot both take the
 * last slot.
 */
export function pgSlotStatements(client: pg.PoolClient): LedgerStatements {
  return {
    async slotHeld(healId, step) {
      const { rowCount } = await client.query(
        `SELECT 1 FROM actions WHERE heal_id = $1 AND step = $2 AND ${counted}`,
        [healId, step],
      );
      return (rowCount ?? 0) > 0;
    },
    async countLimits(q) {
      const { rows } = await client.query<{ global: number; target: number; last: string | null }>(
        `SELECT
           (SELECT count(*)::int FROM actions WHERE started_at >= $1 AND ${counted}) AS global,
           (SELECT count(*)::int FROM actions WHERE target_key = $2 AND started_at >= $3 AND ${counted}) AS target,
           (SELECT max(started_at) FROM actions
             WHERE policy = $4 AND target_key = $2 AND heal_id <> $5 AND started_at >= $6 AND ${counted}) AS last`,
        [q.globalSince, q.targetKey, q.targetSince, q.policy, q.healId, q.cooldownSince],
      );
      const row = rows[0]!;
      return { global: row.global, target: row.target, cooldownLastAt: row.last };
    },
    async insertReservation(a, at) {
      await client.query(
        `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, false, $7, 'reserved')
         ON CONFLICT (heal_id, step) DO UPDATE SET status = 'reserved', dry_run = false,
           started_at = excluded.started_at, attempt = excluded.attempt, action = excluded.action,
           finished_at = NULL, detail = NULL`,
        [a.healId, a.policy, a.targetKey, a.action, a.step, a.attempt, at],
      );
    },
    // A reserved slot becomes the started action (from now, for the cooldown); a re-run keeps the row and its time.
    async startAction(a, at) {
      await client.query(
        `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'started')
         ON CONFLICT (heal_id, step) DO UPDATE SET attempt = excluded.attempt,
           dry_run = CASE WHEN actions.status = 'reserved' THEN excluded.dry_run ELSE actions.dry_run END,
           started_at = CASE WHEN actions.status = 'reserved' THEN excluded.started_at ELSE actions.started_at END,
           status = CASE WHEN actions.status = 'reserved' THEN 'started' ELSE actions.status END`,
        [a.healId, a.policy, a.targetKey, a.action, a.step, a.attempt, a.dryRun, at],
      );
    },
    async finishAction(healId, f, at) {
      await client.query(
        'UPDATE actions SET status = $1, detail = $2, finished_at = $3 WHERE heal_id = $4 AND step = $5',
        [f.status, storableText(f.detail), at, healId, f.step],
      );
    },
    async releaseSlots(healId) {
      await client.query(`DELETE FROM actions WHERE heal_id = $1 AND status = 'reserved'`, [healId]);
    },
  };
}
