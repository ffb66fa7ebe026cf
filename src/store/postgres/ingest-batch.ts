import type pg from 'pg';
import { openHealStates } from '../../domain/heal.js';
import type { Attachment, InsertedDelivery, PolicyTarget, StoreStatements } from '../port.js';
import { pairKey, pairsOf } from '../programs/placement.js';
import type { HealInsertRow, HealRow } from '../rows.js';
import type { IngestInput } from '../types.js';
import { prepared } from './db.js';
import { deferredMatchesInsert } from './deferred.js';
import { deliveriesInsert } from './ingest-statements.js';
import { alertLockKey, lockKeysStatements, lockSpace, storeLocks, targetLockKey } from './locks.js';
import type { KeepingConnection, PipelineStatement } from './pipeline.js';
import { healInsertColumns, insertHealsText, openHealsSql } from './statements.js';

/**
 * Most locks one batch takes one by one. PostgreSQL's lock table holds max_locks_per_transaction (64) x
 * max_connections entries for everyone, and taking thousands costs time: a batch that would need more takes
 * the ingest lock alone, exclusively, and runs by itself.
 */
const maxBatchLocks = 256;

/**
 * The locks a batch takes with its `BEGIN`, as statements, and the keys the transaction holds from then on.
 * Every batch that can lock its alerts (by fingerprint and start) and the (policy, target) pairs they match, one
 * by one, takes the ingest lock shared, then those keys in ascending order: such batches run side by side. One
 * with too many takes the ingest lock exclusively (it runs alone, so its alerts need no locks of their own),
 * then its targets' locks if they are few enough (openers outside ingest, manual heals, take those).
 */
export function batchLocks(inputs: readonly IngestInput[]): {
  statements: pg.QueryConfig[];
  held: ReadonlySet<bigint>;
} {
  const alerts = new Set<bigint>();
  const targets = new Set<bigint>();
  for (const input of inputs) {
    for (const { alert, outcomes } of input.alerts) {
      alerts.add(alertLockKey(alert.fingerprint, alert.startsAt));
      for (const p of pairsOf(outcomes)) targets.add(targetLockKey(p.policy, p.targetKey));
    }
  }
  const all = new Set([...alerts, ...targets]);
  if (all.size <= maxBatchLocks)
    return {
      statements: [ingestLockSql.shared([lockSpace, storeLocks.ingest]), ...lockKeysStatements(all)],
      held: all,
    };
  const alone = ingestLockSql.alone([lockSpace, storeLocks.ingest]);
  if (targets.size > maxBatchLocks) return { statements: [alone], held: new Set() };
  return { statements: [alone, ...lockKeysStatements(targets)], held: targets };
}

const ingestLockSql = {
  shared: prepared('SELECT pg_advisory_xact_lock_shared($1, $2)'),
  alone: prepared('SELECT pg_advisory_xact_lock($1, $2)'),
};

/** New heals and attachments in one statement (the attachments' foreign key is checked at its end). */
const writeHealsSql = prepared(
  `WITH h AS (${insertHealsText})
   INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
   SELECT * FROM unnest($19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
   ON CONFLICT DO NOTHING`,
);

/** The row a heal this transaction inserted has, as `openHeals` reads it. */
const insertedHealRow = (row: HealInsertRow): HealRow => ({
  ...row,
  attempt: 0,
  closed_at: null,
  deadline_at: null,
  reason: null,
  approved_by: null,
  approved_at: null,
  page_at: null,
  paged_at: null,
});

/**
 * The statements of one ingest batch's transaction, run delivery after delivery by the shared ingest program,
 * in as few round trips as the answers allow (on a connection that keeps writes: pipeline.ts):
 *
 * - `start`: the batch's `BEGIN` and locks, the insert of every delivery of the batch, in order, in one
 *   statement, and the read of the open heals of every pair the batch's alerts match, share-locked: one round
 *   trip. `insertDelivery` answers each delivery's part from it (which of its alerts are new, as if inserted
 *   one delivery after another).
 * - `lockOpeners` for targets whose locks the batch took with its `BEGIN`: nothing to do (they are held until
 *   the commit).
 * - `openHeals`: answered from the rows read at the start and the heals the batch itself opened. Exact,
 *   because no one else can open a heal for a pair whose target lock the batch holds, nor close one it
 *   share-locked. (Only when the batch holds its target locks; otherwise every call reads.)
 * - `insertHeals` and `attachAlerts` are collected and written together, in one statement; that statement and
 *   the deferred matches are kept, and go with the next statement that must be answered (a resolved alert's
 *   attachments, or the audit lock at the end).
 *
 * Every other statement is the one `pgStatements` runs, after the kept rows.
 */
export function createBatchStatements(
  connection: KeepingConnection,
  inputs: readonly IngestInput[],
  held: ReadonlySet<bigint>,
) {
  const pairs = pairsOf(inputs.flatMap((i) => i.alerts.flatMap((a) => a.outcomes)));
  const holds = (p: PolicyTarget) => held.has(targetLockKey(p.policy, p.targetKey));
  const readable = pairs.every(holds) ? new Set(pairs.map(pairKey)) : new Set<string>();
  let open: Map<string, HealRow[]> | null = null;
  let inserted: InsertedDelivery[] | null = null;
  let asked = 0;
  let heals: HealInsertRow[] = [];
  let attachments: Array<Attachment & { at: string }> = [];

  /** Keeps the collected heals and attachments as one statement, sent with the next one answered. */
  function flush(): void {
    if (heals.length === 0 && attachments.length === 0) return;
    const values = [
      ...healInsertColumns(heals),
      attachments.map((a) => a.healId),
      attachments.map((a) => a.fingerprint),
      attachments.map((a) => a.startsAt),
      attachments.map((a) => a.alertname),
      attachments.map((a) => a.at),
    ];
    heals = [];
    attachments = [];
    connection.keep(writeHealsSql(values));
  }

  return {
    flush,
    /**
     * The first round trip: `begin` (the transaction and its locks), the deliveries' insert and, when the
     * batch holds every target its alerts match, their open heals.
     */
    async start(begin: readonly PipelineStatement[]): Promise<void> {
      const insert = deliveriesInsert(inputs);
      const read = readable.size > 0;
      const results = await connection.run([
        ...begin,
        insert.statement,
        ...(read ? [openHealsSql([pairs.map((p) => p.policy), pairs.map((p) => p.targetKey)])] : []),
      ]);
      inserted = insert.answer(results[begin.length]!);
      if (!read) return;
      open = new Map(pairs.map((p) => [pairKey(p), [] as HealRow[]]));
      for (const row of results[begin.length + 1]!.rows as HealRow[])
        open.get(pairKey({ policy: row.policy, targetKey: row.target_key }))?.push(row);
    },
    /** The batch's statements over `base` (`pgStatements` on the batch's connection), for its deliveries in order. */
    statements(base: StoreStatements): StoreStatements {
      const afterFlush = Object.fromEntries(
        Object.entries(base).map(([name, statement]) => [
          name,
          (...args: unknown[]) => {
            flush();
            return (statement as (...a: unknown[]) => unknown)(...args);
          },
        ]),
      ) as unknown as StoreStatements;
      return {
        ...afterFlush,
        // Answered from the start's insert; the deferred audit only collects records.
        async insertDelivery(input) {
          // The program asks once per delivery, in the batch's order (the same input may come twice).
          const d = asked++;
          if (inputs[d] !== input || inserted === null)
            throw new Error('ingest batch: deliveries asked out of order');
          return inserted[d]!;
        },
        appendAudit: base.appendAudit,
        async lockOpeners(wanted, idempotencyKey) {
          if (idempotencyKey === undefined && wanted.every(holds)) return;
          await afterFlush.lockOpeners(wanted, idempotencyKey);
        },
        async openHeals(wanted) {
          const known = open;
          if (known === null || !wanted.every((p) => readable.has(pairKey(p))))
            return afterFlush.openHeals(wanted);
          return wanted.flatMap((p) => known.get(pairKey(p)) ?? []);
        },
        async insertHeals(rows) {
          heals.push(...rows);
          for (const row of rows) {
            const known = open?.get(pairKey({ policy: row.policy, targetKey: row.target_key }));
            if (known && (openHealStates as readonly string[]).includes(row.state))
              known.push(insertedHealRow(row));
          }
        },
        async attachAlerts(rows, at) {
          attachments.push(...rows.map((a) => ({ ...a, at })));
        },
        async insertDeferredMatches(rows, deliveryId, input) {
          connection.keep(deferredMatchesInsert(rows, deliveryId, input));
        },
      };
    },
  };
}
