import type pg from 'pg';
import type { AuditInput, AuditRecord } from '../../domain/audit.js';
import { type AuditKey, auditInsertColumns, type ChainHead, GENESIS, sealRecords } from '../audit-chain.js';
import { type AuditRows, checkNewestSeal, walkAuditChain } from '../audit-verify.js';
import { type AuditRow, auditFromRow } from '../rows.js';
import type { AuditQuery, AuditVerification, AuditVerifyOptions } from '../types.js';
import { type PgRunner, params, prepared, type Queryable } from './db.js';
import { lockSpace, storeLocks } from './locks.js';
import { runStatements } from './pipeline.js';

export type HeadRow = { seq: string; hash: string; scheme: number };
const headSql = 'SELECT seq, hash, scheme FROM audit ORDER BY seq DESC LIMIT 1';
const chainHead = (row: HeadRow | undefined): ChainHead =>
  row ? { seq: Number(row.seq), hash: row.hash, scheme: Number(row.scheme) } : GENESIS;

async function readHead(db: Queryable): Promise<ChainHead> {
  const { rows } = await db.query<HeadRow>(headSql);
  return chainHead(rows[0]);
}

// The records' data, JSON documents full of quotes, go as one text, one a line (JSON.stringify writes no line
// break): in an array literal node-postgres would escape every quote and PostgreSQL unescape it again.
const insertAuditSql = prepared(
  `INSERT INTO audit (${auditInsertColumns})
   SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                        $8::text[], string_to_array($9::text, E'\n'), $10::text[], $11::text[], $12::integer[])`,
);

/**
 * The lock and the head read that start an append, as two statements to send with others in one round trip:
 * in READ COMMITTED the read takes its snapshot after the lock is held, so it sees what the previous holder
 * committed. Its answer goes to `auditInsert`.
 */
export const auditHeadStatements = (): pg.QueryConfig[] => [
  lockAuditSql([lockSpace, storeLocks.audit]),
  headStatement([]),
];
const lockAuditSql = prepared('SELECT pg_advisory_xact_lock($1, $2)');
const headStatement = prepared(headSql);

/** The records sealed onto the head read, and the one statement that inserts them (null: nothing to insert). */
export function auditInsert(
  key: AuditKey,
  inputs: readonly AuditInput[],
  at: string,
  head: pg.QueryResult<HeadRow>,
): { records: AuditRecord[]; statement: pg.QueryConfig | null } {
  const sealed = sealRecords(inputs, at, chainHead(head.rows[0]), key);
  if (sealed.length === 0) return { records: [], statement: null };
  return {
    records: sealed.map(({ dataText: _, ...record }) => record),
    statement: insertAuditSql([
      sealed.map((r) => r.seq),
      sealed.map((r) => r.at),
      sealed.map((r) => r.type),
      sealed.map((r) => r.actor),
      sealed.map((r) => r.healId),
      sealed.map((r) => r.policy),
      sealed.map((r) => r.target),
      sealed.map((r) => r.outcome),
      sealed.map((r) => r.dataText).join('\n'),
      sealed.map((r) => r.prevHash),
      sealed.map((r) => r.hash),
      sealed.map((r) => r.scheme),
    ]),
  };
}

/**
 * Appends to the one hash chain. Every writer, on every replica, takes the same transaction-scoped advisory
 * lock before it reads the head, and holds it until it commits: the chain stays a single line.
 *
 * Call it last in a transaction. Holding the audit lock, a transaction only inserts audit rows and commits;
 * it never waits for a lock another writer holds, so no writer can deadlock on it.
 */
export async function appendAudit(
  client: pg.PoolClient,
  key: AuditKey,
  inputs: readonly AuditInput[],
  at: string,
): Promise<AuditRecord[]> {
  if (inputs.length === 0) return [];
  // One round trip, two statements (see auditHeadStatements), with the writes the transaction kept.
  const [, head] = await runStatements(client, auditHeadStatements());
  const { records, statement } = auditInsert(key, inputs, at, head as pg.QueryResult<HeadRow>);
  if (statement) await client.query(statement);
  return records;
}

export async function queryAudit(db: Queryable, q: AuditQuery): Promise<AuditRecord[]> {
  const p = params();
  const where = [`seq > ${p.add(q.afterSeq ?? 0)}`];
  if (q.since) where.push(`at >= ${p.add(q.since)}`);
  if (q.until) where.push(`at < ${p.add(q.until)}`);
  if (q.policy) where.push(`policy = ${p.add(q.policy)}`);
  if (q.target) where.push(`target = ${p.add(q.target)}`);
  if (q.healId) where.push(`heal_id = ${p.add(q.healId)}`);
  if (q.type) where.push(`type = ${p.add(q.type)}`);
  if (q.outcome) where.push(`outcome = ${p.add(q.outcome)}`);
  if (q.beforeSeq !== undefined) where.push(`seq < ${p.add(q.beforeSeq)}`);
  const order = q.newestFirst ? 'DESC' : 'ASC';
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ${p.add(q.limit)}`,
    p.values,
  );
  return rows.map(auditFromRow);
}

/**
 * The chain as the walk reads it: a page per query. Appends commit in sequence order (they hold the audit
 * lock until they commit), so every read sees a prefix of the chain, and the walk stops at the head it read first.
 */
function auditRows(run: PgRunner): AuditRows {
  return {
    head: () => run.read('reading the audit head', readHead),
    page: (afterSeq, limit) =>
      run.read('verifying the audit chain', async (db) => {
        const { rows } = await db.query<AuditRow>(
          'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',
          [afterSeq, limit],
        );
        return rows;
      }),
  };
}

export function verifyAudit(
  run: PgRunner,
  key: AuditKey,
  options?: AuditVerifyOptions,
): Promise<AuditVerification> {
  return walkAuditChain(auditRows(run), key, { pageSize: 1000, ...options });
}

export function checkAuditKey(run: PgRunner, key: AuditKey) {
  return checkNewestSeal(auditRows(run), key);
}
