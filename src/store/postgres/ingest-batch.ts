import type pg from 'pg';
import { openHealStates } from '../../domain/heal.js';
import type { Attachment, InsertedDelivery, PolicyTarget, StoreStatements } from '../port.js';
import { pairKey, pairsOf } from '../programs/placement.js';
import type { HealInsertRow, HealRow } from '../rows.js';
import type { IngestInput } from '../types.js';
import { prepared } from './db.js';
import { insertDeliveries } from './ingest-statements.js';
import { alertLockKey, lockKeysSql, lockSpace, storeLocks, targetLockKey } from './locks.js';
import { healInsertColumns, insertHealsText, openHealsSql } from './statements.js';

/**
 * Most locks one batch takes one by one. PostgreSQL's lock table holds max_locks_per_transaction (64) x
 * max_connections entries for everyone, and taking thousands costs time: a batch that would need more takes
 * the ingest lock alone, exclusively, and runs by itself.
 */
const maxBatchLocks = 256;

/**
 * The locks a batch takes with its `BEGIN`, as SQL, and the keys the transaction holds from then on. Every
 * batch that can lock its alerts (by fingerprint and start) and the (policy, target) pairs they match, one by
 * one, takes the ingest lock shared, then those keys in ascending order: such batches run side by side. One
 * with too many takes the ingest lock exclusively (it runs alone, so its alerts need no locks of their own),
 * then its targets' locks if they are few enough (openers outside ingest, manual heals, take those).
 */
export function batchLocks(inputs: readonly IngestInput[]): { sql: string; held: ReadonlySet<bigint> } {
  const alerts = new Set<bigint>();
  const targets = new Set<bigint>();
  for (const input of inputs) {
    for (const { alert, outcomes } of input.alerts) {
      alerts.add(alertLockKey(alert.fingerprint, alert.startsAt));
      for (const p of pairsOf(outcomes)) targets.add(targetLockKey(p.policy, p.targetKey));
    }
  }
  const all = new Set([...alerts, ...targets]);
  if (all.size <= maxBatchLocks) {
    return {
      sql: `SELECT pg_advisory_xact_lock_shared(${lockSpace}, ${storeLocks.ingest}); ${lockKeysSql(all)}`,
      held: all,
    };
  }
  const alone = `SELECT pg_advisory_xact_lock(${lockSpace}, ${storeLocks.ingest})`;
  if (targets.size > maxBatchLocks) return { sql: alone, held: new Set() };
  return { sql: `${alone}; ${lockKeysSql(targets)}`, held: targets };
}

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
 * with fewer round trips than one per statement where the batch's locks make the answer known already:
 *
 * - `insertDelivery`: the first call inserts every delivery of the batch, in order, in one statement; each
 *   call answers its delivery's part (which of its alerts are new, as if inserted one delivery after another).
 * - `lockOpeners` for targets whose locks the batch took with its `BEGIN`: nothing to do (they are held until
 *   the commit).
 * - `openHeals`: the first call reads the open heals of every pair the batch's alerts match, share-locked,
 *   in one statement; later calls are answered from those rows and the heals the batch itself opened. Exact,
 *   because no one else can open a heal for a pair whose target lock the batch holds, nor close one it
 *   share-locked. (Only when the batch holds its target locks; otherwise every call reads.)
 * - `insertHeals` and `attachAlerts` are kept and written together, in one statement, before any other
 *   statement that could read them and, at the latest, by `flush` before the batch's audit records.
 *
 * Every other statement is the one `pgStatements` runs, after the kept rows are written.
 */
export function createBatchStatements(
  client: pg.PoolClient,
  inputs: readonly IngestInput[],
  held: ReadonlySet<bigint>,
) {
  const pairs = pairsOf(inputs.flatMap((i) => i.alerts.flatMap((a) => a.outcomes)));
  const holds = (p: PolicyTarget) => held.has(targetLockKey(p.policy, p.targetKey));
  const readable = pairs.every(holds) ? new Set(pairs.map(pairKey)) : new Set<string>();
  let open: Map<string, HealRow[]> | null = null;
  let inserted: Promise<InsertedDelivery[]> | null = null;
  let asked = 0;
  let heals: HealInsertRow[] = [];
  let attachments: Array<Attachment & { at: string }> = [];

  async function flush(): Promise<void> {
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
    await client.query(writeHealsSql(values));
  }

  async function readOpen(): Promise<Map<string, HealRow[]>> {
    await flush();
    const byPair = new Map(pairs.map((p) => [pairKey(p), [] as HealRow[]]));
    const { rows } = await client.query<HealRow>(
      openHealsSql([pairs.map((p) => p.policy), pairs.map((p) => p.targetKey)]),
    );
    for (const row of rows) byPair.get(pairKey({ policy: row.policy, targetKey: row.target_key }))?.push(row);
    return byPair;
  }

  return {
    flush,
    /** The batch's statements over `base` (`pgStatements` on the batch's connection), for its deliveries in order. */
    statements(base: StoreStatements): StoreStatements {
      const afterFlush = Object.fromEntries(
        Object.entries(base).map(([name, statement]) => [
          name,
          async (...args: unknown[]) => {
            await flush();
            return (statement as (...a: unknown[]) => unknown)(...args);
          },
        ]),
      ) as unknown as StoreStatements;
      return {
        ...afterFlush,
        // Every delivery of the batch at the first call, in one statement. It neither reads nor is read by
        // the kept rows; the deferred audit only collects records.
        async insertDelivery(input) {
          // The program asks once per delivery, in the batch's order (the same input may come twice).
          const d = asked++;
          if (inputs[d] !== input) throw new Error('ingest batch: deliveries asked out of order');
          inserted ??= insertDeliveries(client, inputs);
          return (await inserted)[d]!;
        },
        appendAudit: base.appendAudit,
        async lockOpeners(wanted, idempotencyKey) {
          if (idempotencyKey === undefined && wanted.every(holds)) return;
          await flush();
          await base.lockOpeners(wanted, idempotencyKey);
        },
        async openHeals(wanted) {
          if (!wanted.every((p) => readable.has(pairKey(p)))) return afterFlush.openHeals(wanted);
          open ??= await readOpen();
          const known = open;
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
      };
    },
  };
}
