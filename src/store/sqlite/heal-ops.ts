import type { Database } from 'better-sqlite3';
import type { Heal } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import { type HealRow, healFromRow } from '../rows.js';
import type { ClaimQuery } from '../types.js';

/** The engine's reads and leases on SQLite: claims, target locks, the action ledger's counts. Synchronous. */
export function createSqliteHealOps(db: Database) {
  const selectHeal = db.prepare('SELECT * FROM heals WHERE id = ?');
  const due = db.prepare(
    `SELECT id FROM heals WHERE next_run_at IS NOT NULL AND next_run_at <= @now
       AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until < @now)
     ORDER BY next_run_at LIMIT @limit`,
  );
  const lease = db.prepare('UPDATE heals SET lease_owner = ?, lease_until = ? WHERE id = ?');
  const lockGet = db.prepare('SELECT heal_id, until FROM target_locks WHERE target_key = ?');
  const lockPut = db.prepare(
    `INSERT INTO target_locks (target_key, heal_id, until) VALUES (?, ?, ?)
     ON CONFLICT (target_key) DO UPDATE SET heal_id = excluded.heal_id, until = excluded.until`,
  );

  function get(id: string): Heal {
    const row = selectHeal.get(id) as HealRow | undefined;
    if (!row) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${id}`);
    return healFromRow(row);
  }

  return {
    claimDueHeals(q: ClaimQuery): Heal[] {
      const ids = due.all(q) as Array<{ id: string }>;
      for (const { id } of ids) lease.run(q.owner, q.leaseUntil, id);
      return ids.map(({ id }) => get(id));
    },

    releaseLeases(owner: string | null): void {
      if (owner === null) db.prepare('UPDATE heals SET lease_owner = NULL, lease_until = NULL').run();
      else
        db.prepare('UPDATE heals SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?').run(
          owner,
        );
    },

    acquireTargetLock(targetKey: string, healId: string, now: string, until: string): boolean {
      const held = lockGet.get(targetKey) as { heal_id: string; until: string } | undefined;
      if (held && held.heal_id !== healId && held.until > now) return false;
      lockPut.run(targetKey, healId, until);
      return true;
    },

    countActions(q: { targetKey?: string; policy?: string; since: string; excludeDryRun?: boolean }): number {
      const where = ['started_at >= @since', "status != 'failed'"];
      if (q.targetKey) where.push('target_key = @targetKey');
      if (q.policy) where.push('policy = @policy');
      if (q.excludeDryRun) where.push('dry_run = 0');
      return (
        db.prepare(`SELECT count(*) AS n FROM actions WHERE ${where.join(' AND ')}`).get(q) as { n: number }
      ).n;
    },

    lastActionAt(policy: string, targetKey: string): string | null {
      const row = db
        .prepare(
          `SELECT max(started_at) AS at FROM actions WHERE policy = ? AND target_key = ? AND dry_run = 0
             AND status != 'failed'`,
        )
        .get(policy, targetKey) as { at: string | null };
      return row.at;
    },
  };
}
