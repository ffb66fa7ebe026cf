import type { Database } from 'better-sqlite3';
import type { LimitCounts } from '../../domain/ledger.js';
import type { SyncStoreStatements } from '../port.js';

/** Rows that count against the limits (as countActions counts them): not failed, not dry-run. */
const counted = `status != 'failed' AND dry_run = 0`;

type LedgerStatements = Pick<
  SyncStoreStatements,
  'slotHeld' | 'countLimits' | 'insertReservation' | 'startAction' | 'finishAction' | 'releaseSlots'
>;

/**
 * The action ledger's slots. SQLite runs one write at a time, so counting and inserting inside one write is
 * atomic: two heals passing their guards together cannot both take the last slot.
 */
export function createSqliteSlots(db: Database): LedgerStatements {
  const held = db.prepare(`SELECT 1 FROM actions WHERE heal_id = ? AND step = ? AND ${counted}`);
  const counts = db.prepare(
    `SELECT
       (SELECT count(*) FROM actions WHERE started_at >= @globalSince AND ${counted}) AS global,
       (SELECT count(*) FROM actions WHERE target_key = @targetKey AND started_at >= @targetSince AND ${counted})
         AS target,
       (SELECT max(started_at) FROM actions
         WHERE policy = @policy AND target_key = @targetKey AND heal_id != @healId AND started_at >= @cooldownSince
           AND ${counted}) AS last`,
  );
  const reserve = db.prepare(
    `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
     VALUES (@healId, @policy, @targetKey, @action, @step, @attempt, 0, @at, 'reserved')
     ON CONFLICT (heal_id, step) DO UPDATE SET status = 'reserved', dry_run = 0, started_at = excluded.started_at,
       attempt = excluded.attempt, action = excluded.action, finished_at = NULL, detail = NULL`,
  );
  // A reserved slot becomes the started action (from now, for the cooldown); a re-run keeps the row and its time.
  const start = db.prepare(
    `INSERT INTO actions (heal_id, policy, target_key, action, step, attempt, dry_run, started_at, status)
     VALUES (@healId, @policy, @targetKey, @action, @step, @attempt, @dryRun, @at, 'started')
     ON CONFLICT (heal_id, step) DO UPDATE SET attempt = excluded.attempt,
       dry_run = CASE WHEN status = 'reserved' THEN excluded.dry_run ELSE dry_run END,
       started_at = CASE WHEN status = 'reserved' THEN excluded.started_at ELSE started_at END,
       status = CASE WHEN status = 'reserved' THEN 'started' ELSE status END`,
  );
  const release = db.prepare(`DELETE FROM actions WHERE heal_id = ? AND status = 'reserved'`);
  const finish = db.prepare(
    'UPDATE actions SET status = ?, detail = ?, finished_at = ? WHERE heal_id = ? AND step = ?',
  );

  return {
    slotHeld: (healId, step) => held.get(healId, step) !== undefined,
    countLimits(q): LimitCounts {
      const row = counts.get(q) as { global: number; target: number; last: string | null };
      return { global: row.global, target: row.target, cooldownLastAt: row.last };
    },
    insertReservation(a, at) {
      const { dryRun: _dry, ...record } = a;
      reserve.run({ ...record, at });
    },
    startAction: (a, at) => void start.run({ ...a, dryRun: a.dryRun ? 1 : 0, at }),
    finishAction: (healId, f, at) => void finish.run(f.status, f.detail, at, healId, f.step),
    releaseSlots: (healId) => void release.run(healId),
  };
}
