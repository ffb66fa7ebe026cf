import type { Database } from 'better-sqlite3';
import { createChainVerifier, GENESIS_HASH, hashAuditRecord } from '../audit-chain.js';
import { type AuditRow, auditFromRow } from '../rows.js';
import type { AuditInput, AuditQuery, AuditRecord, AuditVerification } from '../types.js';

/** The hash chain's head is cached: SQLite has one writer, and every append goes through it. */
export function createSqliteAudit(db: Database) {
  const insert = db.prepare(
    `INSERT INTO audit (seq, at, type, actor, heal_id, policy, target, outcome, data, prev_hash, hash)
     VALUES (@seq, @at, @type, @actor, @healId, @policy, @target, @outcome, @data, @prevHash, @hash)`,
  );
  const last = db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  let head = { seq: 0, hash: GENESIS_HASH };

  function reloadHead(): void {
    const row = last.get() as { seq: number; hash: string } | undefined;
    head = row ? { seq: row.seq, hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  function append(input: AuditInput, at: string): AuditRecord {
    const unsigned = {
      seq: head.seq + 1,
      at: input.at ?? at,
      type: input.type,
      actor: input.actor,
      healId: input.healId,
      policy: input.policy,
      target: input.target,
      outcome: input.outcome,
      data: input.data,
      prevHash: head.hash,
    };
    const record: AuditRecord = { ...unsigned, hash: hashAuditRecord(unsigned) };
    insert.run({ ...record, data: JSON.stringify(record.data) });
    head = { seq: record.seq, hash: record.hash };
    return record;
  }

  function query(q: AuditQuery): AuditRecord[] {
    const where: string[] = ['seq > @afterSeq'];
    if (q.since) where.push('at >= @since');
    if (q.until) where.push('at < @until');
    if (q.policy) where.push('policy = @policy');
    if (q.target) where.push('target = @target');
    if (q.healId) where.push('heal_id = @healId');
    if (q.type) where.push('type = @type');
    if (q.outcome) where.push('outcome = @outcome');
    if (q.beforeSeq !== undefined) where.push('seq < @beforeSeq');
    const order = q.newestFirst ? 'DESC' : 'ASC';
    const rows = db
      .prepare(`SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT @limit`)
      .all({ ...q, afterSeq: q.afterSeq ?? 0 }) as AuditRow[];
    return rows.map(auditFromRow);
  }

  function verify(): AuditVerification {
    const verifier = createChainVerifier();
    for (const row of db.prepare('SELECT * FROM audit ORDER BY seq').iterate() as Iterable<AuditRow>) {
      const broken = verifier.check(auditFromRow(row));
      if (broken) return broken;
    }
    return verifier.done();
  }

  reloadHead();
  return {
    append,
    query,
    verify,
    reloadHead,
    snapshot: () => ({ ...head }),
    restore: (snap: { seq: number; hash: string }) => {
      head = snap;
    },
  };
}

export type SqliteAudit = ReturnType<typeof createSqliteAudit>;
