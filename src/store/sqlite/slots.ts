import type { Database } from 'better-sqlite3';
import { type ActionRecordInput, fullLimit, type SlotReservation } from '../../domain/ledger.js';
import { limitReached, noLimitSince } from '../limits.js';

/** Rows that count against the limits (as countActions counts them): not failed, not dry-run. */
const counted = `status != 'failed' AND dry_run = 0`;

/**
 * The action ledger's slots. SQLite runs one write at a time, so counting and inserting inside one write is
 * atomic: two heals passing their guards together cannot both take the last slot.
 */
export function createSqliteSlots(db: Database) {
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

  return {
    /** Throws SALVE_LIMIT_REACHED when a limit is full; keeps a slot the heal already holds for the step. */
    reserve(r: SlotReservation, at: string): void {
      const a = r.action;
      if (held.get(a.healId, a.step)) return;
      const row = counts.get({
        globalSince: r.limits.global.since,
        targetKey: a.targetKey,
        targetSince: r.limits.target?.since ?? noLimitSince,
        policy: a.policy,
        healId: a.healId,
        cooldownSince: r.limits.cooldownSince ?? noLimitSince,
      }) as { global: number; target: number; last: string | null };
      const hit = fullLimit(r.limits, { global: row.global, target: row.target, cooldownLastAt: row.last });
      if (hit) throw limitReached(hit);
      const { dryRun: _dry, ...record } = a;
      reserve.run({ ...record, at });
    },
    start(a: ActionRecordInput, at: string): void {
      start.run({ ...a, dryRun: a.dryRun ? 1 : 0, at });
    },
    /** A heal that closes without acting gives its slot back. */
    release(healId: string): void {
      release.run(healId);
    },
  };
}
