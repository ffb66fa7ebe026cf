import type { Database } from 'better-sqlite3';
import type { AuditInput } from '../../domain/audit.js';
import { runSync } from '../program.js';
import { ingest } from '../programs/ingest.js';
import { openManualHeal } from '../programs/manual-heal.js';
import { settleDeferred } from '../programs/settle-deferred.js';
import { transition } from '../programs/transition.js';
import type {
  ClaimQuery,
  DeferredSettlement,
  HealTransition,
  IngestInput,
  ManualHealInput,
  OutboxResult,
} from '../types.js';
import type { SqliteAudit } from './audit.js';
import { createSqliteDeferred } from './deferred.js';
import { createSqliteHealOps } from './heal-ops.js';
import { createSqliteOutbox } from './outbox.js';
import { createSqliteStatements } from './statements.js';

/** The readiness probe's write. Every probe changes the row: SQLite skips writing a page whose bytes would not change. */
export const salveProbeOwner = 'salve';
export const probeSql = `INSERT INTO store_probe (owner, at) VALUES (?, ?)
  ON CONFLICT (owner) DO UPDATE SET at = excluded.at, writes = writes + 1`;

/**
 * Every write of the SQLite store, by name, with plain arguments and the time it happens passed in: the same
 * table runs on the event loop or in the writer thread (src/store/sqlite/writer-worker.ts), where a call
 * arrives as a message. Each runs inside the writer's shared transaction.
 */
export function createWriteOps(db: Database, audit: SqliteAudit) {
  const outbox = createSqliteOutbox(db, audit);
  const statements = createSqliteStatements(db, audit, outbox);
  const healOps = createSqliteHealOps(db);
  const deferred = createSqliteDeferred(db);
  const probe = db.prepare(probeSql);
  const deleteSetting = db.prepare('DELETE FROM settings WHERE key = ?');
  const putSetting = db.prepare(
    `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  );

  return {
    /** Nothing: a write that only waits for the ones queued before it to commit. */
    drain: () => undefined,
    probe: (at: string) => void probe.run(salveProbeOwner, at),
    ingest: (input: IngestInput) => runSync(ingest(input), statements),
    appendAudit: (records: readonly AuditInput[], at: string) =>
      records.flatMap((r) => audit.append(r, at) ?? []),
    setSetting(key: string, value: string | null, records: readonly AuditInput[], at: string): void {
      for (const r of records) audit.append(r, at);
      if (value === null) deleteSetting.run(key);
      else putSetting.run(key, value, at);
    },
    claimDueHeals: (q: ClaimQuery) => healOps.claimDueHeals(q),
    transition: (t: HealTransition, at: string) => runSync(transition(t, at), statements),
    releaseLeases: (owner: string | null) => healOps.releaseLeases(owner),
    acquireTargetLock: (key: string, healId: string, at: string, until: string) =>
      healOps.acquireTargetLock(key, healId, at, until),
    releaseTargetLock: (key: string, healId: string) => statements.releaseTargetLock(key, healId),
    openManualHeal: (input: ManualHealInput) => runSync(openManualHeal(input), statements),
    claimOutbox: (q: ClaimQuery) => outbox.claim(q),
    finishOutbox: (id: number, result: OutboxResult, records: readonly AuditInput[]) =>
      outbox.finish(id, result, records),
    retryDeferredMatch: (id: string, nextAt: string, detail: string) => deferred.retry(id, nextAt, detail),
    settleDeferredMatch: (settlement: DeferredSettlement) => runSync(settleDeferred(settlement), statements),
  } as const;
}

export type WriteOps = ReturnType<typeof createWriteOps>;
export type WriteOp = keyof WriteOps;
export type WriteArgs<K extends WriteOp> = Parameters<WriteOps[K]>;
export type WriteResult<K extends WriteOp> = ReturnType<WriteOps[K]>;

/** Where the writes run: on the event loop, or in the writer thread. Both answer a write once it is committed. */
export type SqliteWriter = {
  call<K extends WriteOp>(op: K, ...args: WriteArgs<K>): Promise<WriteResult<K>>;
  /** Lets the writes already queued commit, then stops writing. */
  close(): Promise<void>;
};
