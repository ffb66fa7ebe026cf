import type { Database } from 'better-sqlite3';
import type { AuditInput, AuditRecord } from '../../domain/audit.js';
import {
  type AuditKey,
  auditColumns,
  auditInsertColumns,
  type ChainHead,
  GENESIS,
  headOf,
  sealRecords,
} from '../audit-chain.js';
import { type AuditRows, checkNewestSeal, walkAuditChain } from '../audit-verify.js';
import { type AuditRow, auditFromRow } from '../rows.js';
import type { AuditQuery, AuditVerification, AuditVerifyOptions } from '../types.js';

/** The hash chain's head is cached: SQLite has one writer, and every append goes through it. */
export function createSqliteAudit(db: Database, key: AuditKey) {
  const insert = db.prepare(
    `INSERT INTO audit (${auditInsertColumns}) VALUES (${auditInsertColumns.replace(/\w+/g, '?')})`,
  );
  const last = db.prepare('SELECT seq, hash, scheme FROM audit ORDER BY seq DESC LIMIT 1');
  const page = db.prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?');
  let head: ChainHead = GENESIS;

  function readHead(): ChainHead {
    const row = last.get() as ChainHead | undefined;
    return row ? { seq: row.seq, hash: row.hash, scheme: row.scheme } : GENESIS;
  }

  function reloadHead(): void {
    head = readHead();
  }

  /** Appends one record; null when it was the keyed chain's marker and the chain is keyed already. */
  function append(input: AuditInput, at: string): AuditRecord | null {
    const [sealed] = sealRecords([input], at, head, key);
    if (sealed === undefined) return null;
    insert.run(...auditColumns(sealed));
    head = headOf([sealed], head);
    const { dataText: _, ...record } = sealed;
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

  /**
   * Pages are short reads on the one connection, never an open cursor across the walk's pauses: the group
   * commit keeps writing on the same connection in between.
   */
  const rows: AuditRows = {
    head: async () => readHead(),
    page: async (afterSeq, limit) => page.all(afterSeq, limit) as AuditRow[],
  };

  function verify(options?: AuditVerifyOptions): Promise<AuditVerification> {
    return walkAuditChain(rows, key, options);
  }

  reloadHead();
  return {
    append,
    query,
    verify,
    checkKey: () => checkNewestSeal(rows, key),
    reloadHead,
    head: readHead,
    snapshot: () => ({ ...head }),
    restore: (snap: ChainHead) => {
      head = snap;
    },
  };
}

export type SqliteAudit = ReturnType<typeof createSqliteAudit>;
