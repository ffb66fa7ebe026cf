import type { Database, Statement } from 'better-sqlite3';
import type { HealGuard, HealUpdate, SyncStoreStatements } from '../port.js';
import type { HealRow } from '../rows.js';
import { openStatesSql } from '../sql.js';
import type { SqliteAudit } from './audit.js';
import { createSqliteDeferredStatements } from './deferred.js';
import { createSqliteIngestStatements } from './ingest-statements.js';
import type { SqliteOutbox } from './outbox.js';
import { createSqliteSlots } from './slots.js';

/** The update of a move, built for the columns it sets and the guard it holds; prepared once per shape. */
function healUpdateSql(update: HealUpdate, guard: HealGuard): string {
  const sets = ['updated_at = @at', ...update.columns.map(([column]) => `${column} = @${column}`)];
  if (update.releaseLease) sets.push('lease_owner = NULL', 'lease_until = NULL');
  if (update.renewLeaseUntil) sets.push('lease_until = @renewLeaseUntil');
  let where = 'id = @id';
  if (guard.owner !== null) where += ' AND lease_owner = @owner';
  if (guard.expect) where += ' AND state = @expectState AND phase = @expectPhase';
  if (guard.noFiringAlerts) {
    where += ' AND NOT EXISTS (SELECT 1 FROM heal_alerts WHERE heal_id = @id AND resolved_at IS NULL)';
  }
  return `UPDATE heals SET ${sets.join(', ')} WHERE ${where} RETURNING *`;
}

/** SQLite's statements (src/store/port.ts). Synchronous: they run inside the batcher's one transaction. */
export function createSqliteStatements(
  db: Database,
  audit: SqliteAudit,
  outbox: SqliteOutbox,
): SyncStoreStatements {
  const slots = createSqliteSlots(db);
  const updates = new Map<string, Statement>();
  const selectHeal = db.prepare('SELECT * FROM heals WHERE id = ?');
  const openHeal = db.prepare(
    `SELECT * FROM heals WHERE policy = ? AND target_key = ? AND state IN (${openStatesSql})`,
  );
  // Keys are the caller's own: scoped to the actor (its token) that sent them.
  const byKey = db.prepare('SELECT * FROM heals WHERE idempotency_scope = ? AND idempotency_key = ?');
  const insertHeal = db.prepare(
    `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger, opened_at,
                        updated_at, next_run_at, idempotency_key, idempotency_scope, idempotency_digest,
                        trace_context, mark_base)
     VALUES (@id, @policy, @target_key, @target, @state, @phase, @step, @steps, @dry_run, @trigger, @opened_at,
             @updated_at, @next_run_at, @idempotency_key, @idempotency_scope, @idempotency_digest,
             @trace_context, @mark_base)`,
  );
  const markResolved = db.prepare(
    'UPDATE heal_alerts SET resolved_at = ? WHERE heal_id = ? AND fingerprint = ? AND starts_at = ? AND resolved_at IS NULL',
  );
  const releaseLock = db.prepare('DELETE FROM target_locks WHERE target_key = ? AND heal_id = ?');

  return {
    ...createSqliteIngestStatements(db),
    ...createSqliteDeferredStatements(db),
    // One writer: nothing else writes while a transaction runs, so opening and reserving need no lock.
    lockOpeners: () => undefined,
    lockLimits: () => undefined,
    openHeals: (pairs) =>
      pairs.flatMap((p) => {
        const row = openHeal.get(p.policy, p.targetKey) as HealRow | undefined;
        return row ? [row] : [];
      }),
    healByKey: (scope, key) => (byKey.get(scope, key) as HealRow | undefined) ?? null,
    getHealRow: (id) => (selectHeal.get(id) as HealRow | undefined) ?? null,
    insertHeals: (rows) => {
      for (const row of rows) insertHeal.run({ ...row, dry_run: row.dry_run ? 1 : 0 });
    },
    updateHeal(id, update, guard, at) {
      const sql = healUpdateSql(update, guard);
      let statement = updates.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        updates.set(sql, statement);
      }
      const params: Record<string, unknown> = { id, at, ...Object.fromEntries(update.columns) };
      if (guard.owner !== null) params.owner = guard.owner;
      if (guard.expect)
        Object.assign(params, { expectState: guard.expect.state, expectPhase: guard.expect.phase });
      if (update.renewLeaseUntil) params.renewLeaseUntil = update.renewLeaseUntil;
      return (statement.get(params) as HealRow | undefined) ?? null;
    },
    resolveAttachment: (healId, a, at) => void markResolved.run(at, healId, a.fingerprint, a.startsAt),
    releaseTargetLock: (targetKey, healId) => void releaseLock.run(targetKey, healId),
    ...slots,
    enqueueOutbox: (items, healId, at) => outbox.enqueue(items, healId, at),
    appendAudit: (records, at) => {
      for (const record of records) audit.append(record, at);
    },
  };
}
