import type pg from 'pg';
import type { AuditInput } from '../../domain/audit.js';
import type { AuditKey } from '../audit-chain.js';
import type { StoreStatements } from '../port.js';
import type { HealInsertRow, HealRow } from '../rows.js';
import { openStatesSql } from '../sql.js';
import { appendAudit } from './audit.js';
import { params, prepared, storableText } from './db.js';
import { pgDeferredStatements } from './deferred.js';
import { releaseTargetLock } from './heal-ops.js';
import { pgIngestStatements } from './ingest-statements.js';
import { idempotencyLockKey, lockKeys, lockSpace, storeLocks, targetLockKey } from './locks.js';
import { enqueueOutbox } from './outbox.js';
import { pgSlotStatements } from './slots.js';

export type PgStatementOptions = {
  /**
   * Collect the audit records here instead of appending them: the ingest batcher appends a whole batch's
   * records once, last, under the audit lock.
   */
  deferAudit?: AuditInput[];
};

/** A heal's columns by name (a prepared statement cannot select `*`: see `prepared`). */
const healColumns = [
  'id',
  'policy',
  'target_key',
  'target',
  'state',
  'phase',
  'step',
  'attempt',
  'steps',
  'dry_run',
  'trigger',
  'opened_at',
  'updated_at',
  'closed_at',
  'next_run_at',
  'deadline_at',
  'reason',
  'idempotency_key',
  'approved_by',
  'approved_at',
  'page_at',
  'paged_at',
  'trace_context',
  'mark_base',
] as const satisfies ReadonlyArray<keyof HealRow>;

/** The open heals of (policy, target) pairs, share-locked: none can close until this transaction commits. */
export const openHealsSql = prepared(
  `SELECT ${healColumns.join(', ')} FROM heals
    WHERE state IN (${openStatesSql})
      AND (policy, target_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    FOR SHARE`,
);

export const insertHealsText = `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger, opened_at,
                     updated_at, next_run_at, idempotency_key, idempotency_scope, idempotency_digest,
                     trace_context, mark_base)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
                        $8::text[], $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[],
                        $14::text[], $15::text[], $16::text[], $17::text[], $18::int[])`;
const insertHealsSql = prepared(insertHealsText);

/** New heals' rows as the arrays `insertHealsSql` takes, column by column. */
export function healInsertColumns(rows: readonly HealInsertRow[]): unknown[] {
  const column = <K extends keyof HealInsertRow>(k: K) => rows.map((r) => r[k]);
  return [
    column('id'),
    column('policy'),
    column('target_key'),
    column('target'),
    column('state'),
    column('phase'),
    column('step'),
    column('steps'),
    column('dry_run'),
    column('trigger'),
    column('opened_at'),
    column('updated_at'),
    column('next_run_at'),
    column('idempotency_key'),
    column('idempotency_scope'),
    column('idempotency_digest'),
    column('trace_context'),
    column('mark_base'),
  ];
}

/** PostgreSQL's statements (src/store/port.ts), on one transaction's connection. */
export function pgStatements(
  client: pg.PoolClient,
  key: AuditKey,
  options: PgStatementOptions = {},
): StoreStatements {
  const { deferAudit } = options;
  return {
    ...pgIngestStatements(client),
    ...pgDeferredStatements(client),
    ...pgSlotStatements(client),

    // Every opener of heals (ingest on any replica, manual heals) takes these first, in key order.
    async lockOpeners(pairs, idempotencyKey) {
      const keys = pairs.map((p) => targetLockKey(p.policy, p.targetKey));
      if (idempotencyKey !== undefined) keys.push(idempotencyLockKey(idempotencyKey));
      await lockKeys(client, keys);
    },
    async lockLimits() {
      // After the heal's row and before the audit lock, like every lock of a transition.
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [lockSpace, storeLocks.limits]);
    },
    async openHeals(pairs) {
      const { rows } = await client.query<HealRow>(
        openHealsSql([pairs.map((p) => p.policy), pairs.map((p) => p.targetKey)]),
      );
      return rows;
    },
    async healByKey(scope, idempotencyKey) {
      const { rows } = await client.query<HealRow>(
        'SELECT * FROM heals WHERE idempotency_scope = $1 AND idempotency_key = $2',
        [scope, idempotencyKey],
      );
      return rows[0] ?? null;
    },
    async getHealRow(id) {
      const { rows } = await client.query<HealRow>('SELECT * FROM heals WHERE id = $1', [id]);
      return rows[0] ?? null;
    },
    async insertHeals(rows) {
      await client.query(insertHealsSql(healInsertColumns(rows)));
    },
    async updateHeal(id, update, guard, at) {
      const p = params();
      const sets = [`updated_at = ${p.add(at)}`];
      for (const [col, value] of update.columns) {
        sets.push(`${col} = ${p.add(typeof value === 'string' ? storableText(value) : value)}`);
      }
      if (update.releaseLease) sets.push('lease_owner = NULL', 'lease_until = NULL');
      if (update.renewLeaseUntil) sets.push(`lease_until = ${p.add(update.renewLeaseUntil)}`);
      let where = `id = ${p.add(id)}`;
      if (guard.owner !== null) where += ` AND lease_owner = ${p.add(guard.owner)}`;
      if (guard.expect) {
        where += ` AND state = ${p.add(guard.expect.state)} AND phase = ${p.add(guard.expect.phase)}`;
      }
      if (guard.noFiringAlerts) {
        where +=
          ' AND NOT EXISTS (SELECT 1 FROM heal_alerts a WHERE a.heal_id = heals.id AND a.resolved_at IS NULL)';
      }
      const { rows } = await client.query<HealRow>(
        `UPDATE heals SET ${sets.join(', ')} WHERE ${where} RETURNING *`,
        p.values,
      );
      return rows[0] ?? null;
    },
    async resolveAttachment(healId, alert, at) {
      await client.query(
        `UPDATE heal_alerts SET resolved_at = $1
         WHERE heal_id = $2 AND fingerprint = $3 AND starts_at = $4 AND resolved_at IS NULL`,
        [at, healId, alert.fingerprint, alert.startsAt],
      );
    },
    releaseTargetLock: (targetKey, healId) => releaseTargetLock(client, targetKey, healId),
    enqueueOutbox: (items, healId, at) => enqueueOutbox(client, items, healId, at),
    async appendAudit(records, at) {
      if (deferAudit) deferAudit.push(...records.map((r) => ({ ...r, at: r.at ?? at })));
      else await appendAudit(client, key, records, at);
    },
  };
}
