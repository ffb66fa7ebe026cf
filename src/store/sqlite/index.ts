import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '../../clock.js';
import { SalveError } from '../../errors.js';
import { type AuditKey, auditKeyFrom } from '../audit-chain.js';
import { runSync } from '../program.js';
import { ingest } from '../programs/ingest.js';
import { openManualHeal } from '../programs/manual-heal.js';
import { settleDeferred } from '../programs/settle-deferred.js';
import { transition } from '../programs/transition.js';
import type { Store } from '../types.js';
import { createSqliteAudit } from './audit.js';
import { createWriteBatcher } from './batcher.js';
import { createSqliteDeferred } from './deferred.js';
import { watchDatabaseFiles } from './file-identity.js';
import { createSqliteHealOps } from './heal-ops.js';
import { createSqliteHistory } from './history.js';
import { migrateSqlite } from './migrations.js';
import { createSqliteOutbox } from './outbox.js';
import { createSqliteReads } from './reads.js';
import { createSqliteStatements } from './statements.js';

export type SqliteStoreOptions = {
  /** A file path, or ':memory:' for tests. */
  file: string;
  clock: Clock;
  /** Seals the audit chain. salve always passes the configured one; without it a store seals with a key of its own. */
  auditKey?: AuditKey;
};

export function openSqliteStore(options: SqliteStoreOptions): Store {
  if (options.file !== ':memory:') fs.mkdirSync(path.dirname(options.file), { recursive: true });
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(options.file);
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged delivery survives a power cut, not only a process crash.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new SalveError('SALVE_STORE_UNAVAILABLE', `cannot open SQLite database ${options.file}`, { cause });
  }
  migrateSqlite(db, () => options.clock.now());
  const now = () => options.clock.now().toISOString();
  const probe = db.prepare(
    // Every probe changes the row: SQLite skips writing a page whose bytes would not change.
    `INSERT INTO store_probe (owner, at) VALUES (?, ?)
     ON CONFLICT (owner) DO UPDATE SET at = excluded.at, writes = writes + 1`,
  );
  // A first commit: the WAL exists from here on, and both files are watched from the start.
  probe.run('salve', now());
  const files = options.file === ':memory:' ? null : watchDatabaseFiles(options.file);
  const audit = createSqliteAudit(db, options.auditKey ?? auditKeyFrom(randomBytes(32)));
  const reads = createSqliteReads(db);
  const deferred = createSqliteDeferred(db);
  const history = createSqliteHistory(db);
  const outbox = createSqliteOutbox(db, audit);
  const statements = createSqliteStatements(db, audit, outbox);
  const healOps = createSqliteHealOps(db);
  const batcher = createWriteBatcher(
    db,
    () => audit.reloadHead(),
    () => files?.check(),
  );

  /** A write in the shared transaction; a failed write puts the chain head back where it was. */
  function write<T>(fn: () => T): Promise<T> {
    return batcher.write(() => {
      const head = audit.snapshot();
      try {
        return fn();
      } catch (err) {
        audit.restore(head);
        throw err;
      }
    });
  }

  return {
    kind: 'sqlite',
    migrate: async () => migrateSqlite(db, () => options.clock.now()),
    ping: async () => {
      files?.checkSpace();
      await write(() => probe.run('salve', now()));
    },
    close: async () => {
      // Let writes already queued in this turn commit before the handle goes.
      await write(() => undefined).catch(() => undefined);
      db.close();
    },
    ingest: (input) => write(() => runSync(ingest(input), statements)),
    listAlerts: async (q) => reads.listAlerts(q),
    knownAlerts: async (alerts) => reads.knownAlerts(alerts),
    getHeal: async (id) => reads.getHeal(id),
    listHeals: async (q) => reads.listHeals(q),
    healAlerts: async (id) => reads.healAlerts(id),
    countOpenHeals: async () => reads.countOpenHeals(),
    healHistory: async (q) => history.healHistory(q),
    appendAudit: (records) => write(() => records.flatMap((r) => audit.append(r, now()) ?? [])),
    queryAudit: async (q) => audit.query(q),
    verifyAudit: (verifyOptions) => audit.verify(verifyOptions),
    checkAuditKey: () => audit.checkKey(),
    getSetting: async (key) => reads.getSetting(key),
    setSetting: (key, value, records = []) =>
      write(() => {
        for (const r of records) audit.append(r, now());
        if (value === null) db.prepare('DELETE FROM settings WHERE key = ?').run(key);
        else
          db.prepare(
            `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          ).run(key, value, now());
      }),
    claimDueHeals: (q) => write(() => healOps.claimDueHeals(q)),
    transition: (t) => write(() => runSync(transition(t, now()), statements)),
    releaseLeases: (owner) => write(() => healOps.releaseLeases(owner)),
    acquireTargetLock: (key, healId, at, until) =>
      write(() => healOps.acquireTargetLock(key, healId, at, until)),
    releaseTargetLock: (key, healId) => write(() => statements.releaseTargetLock(key, healId)),
    countActions: async (q) => healOps.countActions(q),
    lastActionAt: async (policy, key) => healOps.lastActionAt(policy, key),
    openManualHeal: (input) => write(() => runSync(openManualHeal(input), statements)),
    claimOutbox: (q) => write(() => outbox.claim(q)),
    finishOutbox: (id, result, records) => write(() => outbox.finish(id, result, records)),
    countPendingOutbox: async () => outbox.countPending(),
    dueDeferredMatches: async (at, limit) => deferred.due(at, limit),
    retryDeferredMatch: (id, nextAt, detail) => write(() => deferred.retry(id, nextAt, detail)),
    settleDeferredMatch: (settlement) => write(() => runSync(settleDeferred(settlement), statements)),
    countDeferredMatches: async () => deferred.count(),
  };
}
