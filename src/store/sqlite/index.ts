import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { type AuditKey, auditKeyFrom } from '../audit-chain.js';
import type { Store } from '../types.js';
import { createSqliteAudit } from './audit.js';
import { type Checkpointer, checkpointerAfterWrites, startCheckpointer } from './checkpointer.js';
import { openConnection } from './connection.js';
import { createSqliteDeferred } from './deferred.js';
import { checkFreeSpace, watchDatabaseFiles } from './file-identity.js';
import { createSqliteHealOps } from './heal-ops.js';
import { createSqliteHistory } from './history.js';
import { migrateSqlite } from './migrations.js';
import { createSqliteOutbox } from './outbox.js';
import { createSqliteReads } from './reads.js';
import { createThreadWriter } from './thread-writer.js';
import { startWorkerWriter } from './worker-writer.js';
import { probeSql, type SqliteWriter, salveProbeOwner } from './write-ops.js';

export type SqliteStoreOptions = {
  /** A file path, or ':memory:' for tests. */
  file: string;
  clock: Clock;
  /** Seals the audit chain. salve always passes the configured one; without it a store seals with a key of its own. */
  auditKey?: AuditKey;
  /**
   * Where writes run: `worker` (default for a file), a thread of their own that owns the write connection, so
   * the commits run beside the event loop; `event-loop`, on it (':memory:' always).
   */
  writer?: 'worker' | 'event-loop';
};

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const db = openConnection(options.file);
  migrateSqlite(db, () => options.clock.now());
  const now = () => options.clock.now().toISOString();
  const auditKey = options.auditKey ?? auditKeyFrom(randomBytes(32));
  const memory = options.file === ':memory:';
  // The readers' connection; with the writer on this thread, also the writer's.
  const audit = createSqliteAudit(db, auditKey);
  const reads = createSqliteReads(db);
  const deferred = createSqliteDeferred(db);
  const history = createSqliteHistory(db);
  const outbox = createSqliteOutbox(db, audit);
  const healOps = createSqliteHealOps(db);
  // A first commit: the WAL exists from here on, and both files are watched from the start.
  db.prepare(probeSql).run(salveProbeOwner, now());
  let writer: SqliteWriter;
  let checkpointer: Checkpointer | null = null;
  const threaded = !memory && options.writer !== 'event-loop';
  if (!threaded) {
    const files = memory ? null : watchDatabaseFiles(options.file);
    writer = createThreadWriter(db, audit, () => files?.check());
  } else {
    // The writer thread watches the files its own connection opens.
    writer = startWorkerWriter(options.file, auditKey);
  }
  let closing: Promise<void> | null = null;
  let writes = 0;
  const write: SqliteWriter['call'] = (op, ...args) => {
    if (threaded && checkpointer === null && ++writes >= checkpointerAfterWrites && closing === null)
      checkpointer = startCheckpointer(options.file);
    return writer.call(op, ...args);
  };

  return {
    kind: 'sqlite',
    migrate: async () => migrateSqlite(db, () => options.clock.now()),
    ping: async () => {
      if (!memory) checkFreeSpace(options.file);
      await write('probe', now());
    },
    close: () => {
      closing ??= (async () => {
        // Let writes already queued commit before the handles go.
        await writer.close();
        await checkpointer?.close();
        db.close();
      })();
      return closing;
    },
    ingest: (input) => write('ingest', input),
    listAlerts: async (q) => reads.listAlerts(q),
    alertsByStart: async (alerts) => reads.alertsByStart(alerts),
    knownAlerts: async (alerts) => reads.knownAlerts(alerts),
    getHeal: async (id) => reads.getHeal(id),
    listHeals: async (q) => reads.listHeals(q),
    healAlerts: async (id) => reads.healAlerts(id),
    countOpenHeals: async () => reads.countOpenHeals(),
    healHistory: async (q) => history.healHistory(q),
    appendAudit: (records) => write('appendAudit', records, now()),
    queryAudit: async (q) => audit.query(q),
    verifyAudit: (verifyOptions) => audit.verify(verifyOptions),
    checkAuditKey: () => audit.checkKey(),
    getSetting: async (key) => reads.getSetting(key),
    setSetting: (key, value, records = []) => write('setSetting', key, value, records, now()),
    claimDueHeals: (q) => write('claimDueHeals', q),
    transition: (t) => write('transition', t, now()),
    releaseLeases: (owner) => write('releaseLeases', owner),
    acquireTargetLock: (key, healId, at, until) => write('acquireTargetLock', key, healId, at, until),
    releaseTargetLock: (key, healId) => write('releaseTargetLock', key, healId),
    countActions: async (q) => healOps.countActions(q),
    lastActionAt: async (policy, key) => healOps.lastActionAt(policy, key),
    openManualHeal: (input) => write('openManualHeal', input),
    claimOutbox: (q) => write('claimOutbox', q),
    finishOutbox: (id, result, records) => write('finishOutbox', id, result, records),
    countPendingOutbox: async () => outbox.countPending(),
    dueDeferredMatches: async (at, limit) => deferred.due(at, limit),
    retryDeferredMatch: (id, nextAt, detail) => write('retryDeferredMatch', id, nextAt, detail),
    settleDeferredMatch: (settlement) => write('settleDeferredMatch', settlement),
    countDeferredMatches: async () => deferred.count(),
  };
}
