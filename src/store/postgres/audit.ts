import { createChainVerifier, GENESIS_HASH, hashAuditRecord } from '../audit-chain.js';
import { type AuditRow, auditFromRow } from '../rows.js';
import type { AuditInput, AuditQuery, AuditRecord, AuditVerification } from '../types.js';
import { type PgRunner, params, type Queryable } from './db.js';
import { lockSpace, storeLocks } from './locks.js';

/**
 * Appends to the one hash chain. Every writer, on every replica, takes the same transaction-scoped advisory
 * lock before it reads the head, and holds it until it commits: the chain stays a single line.
 *
 * Call it last in a transaction. Holding the audit lock, a transaction only inserts audit rows and commits;
 * it never waits for a lock another writer holds, so no writer can deadlock on it.
 */
export async function appendAudit(
  db: Queryable,
  inputs: readonly AuditInput[],
  at: string,
): Promise<AuditRecord[]> {
  if (inputs.length === 0) return [];
  await db.query('SELECT pg_advisory_xact_lock($1, $2)', [lockSpace, storeLocks.audit]);
  // A statement of its own: in READ COMMITTED it sees what the previous lock holder committed.
  const { rows } = await db.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
  );
  let seq = rows[0] ? Number(rows[0].seq) : 0;
  let prevHash = rows[0]?.hash ?? GENESIS_HASH;
  const records = inputs.map((input): AuditRecord => {
    seq += 1;
    const unsigned = {
      seq,
      at: input.at ?? at,
      type: input.type,
      actor: input.actor,
      healId: input.healId,
      policy: input.policy,
      target: input.target,
      outcome: input.outcome,
      data: input.data,
      prevHash,
    };
    const record = { ...unsigned, hash: hashAuditRecord(unsigned) };
    prevHash = record.hash;
    return record;
  });
  await db.query(
    `INSERT INTO audit (seq, at, type, actor, heal_id, policy, target, outcome, data, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::text[], $9::text[], $10::text[], $11::text[])`,
    [
      records.map((r) => r.seq),
      records.map((r) => r.at),
      records.map((r) => r.type),
      records.map((r) => r.actor),
      records.map((r) => r.healId),
      records.map((r) => r.policy),
      records.map((r) => r.target),
      records.map((r) => r.outcome),
      records.map((r) => JSON.stringify(r.data)),
      records.map((r) => r.prevHash),
      records.map((r) => r.hash),
    ],
  );
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

const page = 1000;

/** Walks the whole chain in one snapshot, a page at a time, with the same verifier as every store. */
export function verifyAudit(run: PgRunner): Promise<AuditVerification> {
  return run.snapshot('verifying the audit chain', async (client) => {
    const verifier = createChainVerifier();
    let after = 0;
    for (;;) {
      const { rows } = await client.query<AuditRow>(
        'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',
        [after, page],
      );
      for (const row of rows) {
        const broken = verifier.check(auditFromRow(row));
        if (broken) return broken;
      }
      if (rows.length < page) return verifier.done();
      after = Number(rows.at(-1)!.seq);
    }
  });
}
