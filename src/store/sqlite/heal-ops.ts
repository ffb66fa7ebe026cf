import type { Database } from 'better-sqlite3';
import { auditTypes } from '../../domain/audit.js';
import type { Heal, HealTrigger } from '../../domain/heal.js';
import { phaseOf, stateOf } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import { reuseByKey } from '../idempotency.js';
import { newId } from '../ids.js';
import { type HealRow, healFromRow, healPatchColumns } from '../rows.js';
import type { ClaimQuery, HealTransition, ManualHealInput } from '../types.js';
import type { SqliteAudit } from './audit.js';
import type { SqliteOutbox } from './outbox.js';
import { createSqliteSlots } from './slots.js';

/** The engine's half of the SQLite store: claims, transitions, locks and the action ledger. Synchronous. */
export function createSqliteHealOps(db: Database, audit: SqliteAudit, outbox: SqliteOutbox) {
  const selectHeal = db.prepare('SELECT * FROM heals WHERE id = ?');
  const due = db.prepare(
    `SELECT id FROM heals WHERE next_run_at IS NOT NULL AND next_run_at <= @now
       AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until < @now)
     ORDER BY next_run_at LIMIT @limit`,
  );
  const lease = db.prepare('UPDATE heals SET lease_owner = ?, lease_until = ? WHERE id = ?');
  const slots = createSqliteSlots(db);
  const finishAction = db.prepare(
    'UPDATE actions SET status = ?, detail = ?, finished_at = ? WHERE heal_id = ? AND step = ?',
  );
  const markAlertResolved = db.prepare(
    'UPDATE heal_alerts SET resolved_at = ? WHERE heal_id = ? AND fingerprint = ? AND starts_at = ? AND resolved_at IS NULL',
  );
  const releaseLock = db.prepare('DELETE FROM target_locks WHERE target_key = ? AND heal_id = ?');
  const lockGet = db.prepare('SELECT heal_id, until FROM target_locks WHERE target_key = ?');
  const lockPut = db.prepare(
    `INSERT INTO target_locks (target_key, heal_id, until) VALUES (?, ?, ?)
     ON CONFLICT (target_key) DO UPDATE SET heal_id = excluded.heal_id, until = excluded.until`,
  );
  const findOpen = db.prepare(
    `SELECT * FROM heals WHERE policy = ? AND target_key = ?
       AND state IN ('pending', 'awaiting_approval', 'running', 'verifying')`,
  );
  // Keys are the caller's own: scoped to the actor (its token) that sent them.
  const byKey = db.prepare('SELECT * FROM heals WHERE idempotency_scope = ? AND idempotency_key = ?');

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

    transition(t: HealTransition, at: string): Heal {
      for (const a of t.resolveAlerts ?? []) markAlertResolved.run(at, t.id, a.fingerprint, a.startsAt);
      const sets = ['updated_at = @at'];
      const params: Record<string, unknown> = { id: t.id, at, owner: t.owner };
      for (const [column, value] of healPatchColumns(t.set)) {
        sets.push(`${column} = @${column}`);
        params[column] = value;
      }
      if (t.releaseLease) sets.push('lease_owner = NULL', 'lease_until = NULL');
      let guard = t.owner === null ? '' : ' AND lease_owner = @owner';
      if (t.expectStage) {
        guard += ' AND state = @expectState AND phase = @expectPhase';
        params.expectState = stateOf(t.expectStage);
        params.expectPhase = phaseOf(t.expectStage);
      }
      if (t.requireAlertsResolved) {
        guard += ' AND NOT EXISTS (SELECT 1 FROM heal_alerts WHERE heal_id = @id AND resolved_at IS NULL)';
      }
      if (t.renewLeaseUntil) {
        sets.push('lease_until = @renewLeaseUntil');
        params.renewLeaseUntil = t.renewLeaseUntil;
      }
      const { changes } = db
        .prepare(`UPDATE heals SET ${sets.join(', ')} WHERE id = @id${guard}`)
        .run(params);
      if (changes === 0) {
        throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${t.id} changed underneath (state or lease)`, {
          retryable: true,
        });
      }
      if (t.reserveSlot) slots.reserve(t.reserveSlot, at);
      if (t.startAction) slots.start(t.startAction, at);
      if (t.finishAction)
        finishAction.run(t.finishAction.status, t.finishAction.detail, at, t.id, t.finishAction.step);
      const heal = get(t.id);
      if (heal.closedAt !== null) slots.release(t.id);
      if (t.releaseTargetLock) releaseLock.run(heal.targetKey, t.id);
      for (const record of t.audit) audit.append(record, at);
      if (t.notify) outbox.enqueue(t.notify, t.id, at);
      return heal;
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

    releaseTargetLock(targetKey: string, healId: string): void {
      releaseLock.run(targetKey, healId);
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

    openManualHeal(input: ManualHealInput): { heal: Heal; created: boolean } {
      if (input.idempotencyKey) {
        const existing = byKey.get(input.actor, input.idempotencyKey) as HealRow | undefined;
        if (existing) return reuseByKey(existing, input);
      }
      const open = findOpen.get(input.policy, input.targetKey) as HealRow | undefined;
      if (open) return { heal: healFromRow(open), created: false };
      const id = newId('heal', new Date(input.at));
      const trigger: HealTrigger = {
        kind: 'manual',
        actor: input.actor,
        reason: input.reason,
        force: input.force,
      };
      db.prepare(
        `INSERT INTO heals (id, policy, target_key, target, state, step, steps, dry_run, trigger, opened_at, updated_at,
                            phase, next_run_at, idempotency_key, idempotency_scope, idempotency_digest)
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, 'guards', ?, ?, ?, ?)`,
      ).run(
        id,
        input.policy,
        input.targetKey,
        JSON.stringify(input.target),
        JSON.stringify(input.steps),
        input.dryRun ? 1 : 0,
        JSON.stringify(trigger),
        input.at,
        input.at,
        input.at,
        input.idempotencyKey,
        input.idempotencyKey === null ? null : input.actor,
        input.idempotencyKey === null ? null : input.requestDigest,
      );
      audit.append(
        {
          type: auditTypes.healOpened,
          actor: input.actor,
          healId: id,
          policy: input.policy,
          target: input.targetKey,
          outcome: 'pending',
          data: { trigger, target: input.target, steps: input.steps, dryRun: input.dryRun },
        },
        input.at,
      );
      return { heal: get(id), created: true };
    },
  };
}
