import type pg from 'pg';
import { auditTypes } from '../../domain/audit.js';
import type { Heal, HealTrigger } from '../../domain/heal.js';
import { phaseOf, stateOf } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import type { AuditKey } from '../audit-chain.js';
import { reuseByKey } from '../idempotency.js';
import { newId } from '../ids.js';
import { type HealRow, healFromRow, healPatchColumns } from '../rows.js';
import type { ClaimQuery, HealTransition, ManualHealInput } from '../types.js';
import { appendAudit } from './audit.js';
import { params, type Queryable, storableText } from './db.js';
import { idempotencyLockKey, lockKeys, targetLockKey } from './locks.js';
import { enqueueOutbox } from './outbox.js';
import { releaseSlots, reserveSlot, startAction } from './slots.js';

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

/** A compare-and-set on (id, lease owner, state), then the bookkeeping, audit last. */
export async function transition(
  client: pg.PoolClient,
  t: HealTransition,
  at: string,
  key: AuditKey,
): Promise<Heal> {
  for (const a of t.resolveAlerts ?? []) {
    await client.query(
      `UPDATE heal_alerts SET resolved_at = $1
       WHERE heal_id = $2 AND fingerprint = $3 AND starts_at = $4 AND resolved_at IS NULL`,
      [at, t.id, a.fingerprint, a.startsAt],
    );
  }
  const p = params();
  const sets = [`updated_at = ${p.add(at)}`];
  for (const [column, value] of healPatchColumns(t.set)) {
    const stored = typeof value === 'string' ? storableText(value) : value;
    sets.push(`${column} = ${p.add(stored)}`);
  }
  if (t.releaseLease) sets.push('lease_owner = NULL', 'lease_until = NULL');
  let where = `id = ${p.add(t.id)}`;
  if (t.owner !== null) where += ` AND lease_owner = ${p.add(t.owner)}`;
  if (t.expectStage) {
    where += ` AND state = ${p.add(stateOf(t.expectStage))} AND phase = ${p.add(phaseOf(t.expectStage))}`;
  }
  if (t.requireAlertsResolved) {
    where +=
      ' AND NOT EXISTS (SELECT 1 FROM heal_alerts a WHERE a.heal_id = heals.id AND a.resolved_at IS NULL)';
  }
  if (t.renewLeaseUntil) sets.push(`lease_until = ${p.add(t.renewLeaseUntil)}`);
  const { rows } = await client.query<HealRow>(
    `UPDATE heals SET ${sets.join(', ')} WHERE ${where} RETURNING *`,
    p.values,
  );
  const row = rows[0];
  if (!row) {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${t.id} changed underneath (state or lease)`, {
      retryable: true,
    });
  }
  if (t.reserveSlot) await reserveSlot(client, t.reserveSlot, at);
  if (t.startAction) await startAction(client, t.startAction, at);
  if (t.finishAction) {
    await client.query(
      'UPDATE actions SET status = $1, detail = $2, finished_at = $3 WHERE heal_id = $4 AND step = $5',
      [t.finishAction.status, storableText(t.finishAction.detail), at, t.id, t.finishAction.step],
    );
  }
  if (row.closed_at !== null) await releaseSlots(client, t.id);
  if (t.releaseTargetLock) await releaseTargetLock(client, row.target_key, t.id);
  if (t.notify) await enqueueOutbox(client, t.notify, t.id, at);
  await appendAudit(client, key, t.audit, at);
  return healFromRow(row);
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

export async function openManualHeal(
  client: pg.PoolClient,
  input: ManualHealInput,
  key: AuditKey,
): Promise<{ heal: Heal; created: boolean }> {
  const keys = [targetLockKey(input.policy, input.targetKey)];
  if (input.idempotencyKey) keys.push(idempotencyLockKey(`${input.actor}\u0000${input.idempotencyKey}`));
  await lockKeys(client, keys);
  if (input.idempotencyKey) {
    // Keys are the caller's own: scoped to the actor (its token) that sent them.
    const { rows } = await client.query<HealRow>(
      'SELECT * FROM heals WHERE idempotency_scope = $1 AND idempotency_key = $2',
      [input.actor, input.idempotencyKey],
    );
    if (rows[0]) return reuseByKey(rows[0], input);
  }
  const open = await client.query<HealRow>(
    `SELECT * FROM heals WHERE policy = $1 AND target_key = $2
        AND state IN ('pending', 'awaiting_approval', 'running', 'verifying')
      FOR SHARE`,
    [input.policy, input.targetKey],
  );
  if (open.rows[0]) return { heal: healFromRow(open.rows[0]), created: false };
  const id = newId('heal', new Date(input.at));
  const trigger: HealTrigger = {
    kind: 'manual',
    actor: input.actor,
    reason: input.reason,
    force: input.force,
  };
  const { rows } = await client.query<HealRow>(
    `INSERT INTO heals (id, policy, target_key, target, state, step, steps, dry_run, trigger, opened_at, updated_at,
                        phase, next_run_at, idempotency_key, idempotency_scope, idempotency_digest)
     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8, $8, 'guards', $8, $9, $10, $11)
     RETURNING *`,
    [
      id,
      input.policy,
      input.targetKey,
      JSON.stringify(input.target),
      JSON.stringify(input.steps),
      input.dryRun,
      JSON.stringify(trigger),
      input.at,
      input.idempotencyKey,
      input.idempotencyKey === null ? null : input.actor,
      input.idempotencyKey === null ? null : input.requestDigest,
    ],
  );
  await appendAudit(
    client,
    key,
    [
      {
        type: auditTypes.healOpened,
        actor: input.actor,
        healId: id,
        policy: input.policy,
        target: input.targetKey,
        outcome: 'pending',
        data: { trigger, target: input.target, steps: input.steps, dryRun: input.dryRun },
      },
    ],
    input.at,
  );
  return { heal: healFromRow(rows[0]!), created: true };
}
