import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../observability/logger.js';
import { type AuditKey, auditKeyFrom } from '../audit-chain.js';
import { runAsync } from '../program.js';
import { openManualHeal } from '../programs/manual-heal.js';
import { settleDeferred } from '../programs/settle-deferred.js';
import { transition } from '../programs/transition.js';
import type { Store } from '../types.js';
import { appendAudit, checkAuditKey, queryAudit, verifyAudit } from './audit.js';
import { createPgRunner } from './db.js';
import * as deferred from './deferred.js';
import * as heals from './heal-ops.js';
import { healHistory } from './history.js';
import { createIngestBatcher } from './ingest-batcher.js';
import { sharedKnownAlerts } from './known-alerts.js';
import { migratePostgres } from './migrate.js';
import * as outbox from './outbox.js';
import { createPgPool, defaultPgDeadlines, type PgDeadlines, type PgStatementMode } from './pool.js';
import * as reads from './reads.js';
import { waitForPostgres } from './startup.js';
import { pgStatements } from './statements.js';

export type PostgresStoreOptions = {
  /** postgres:// or postgresql:// connection URL (libpq query parameters such as sslmode work). */
  url: string;
  clock: Clock;
  log?: Logger;
  /** Connections per replica; each webhook, claim and transition holds one for its transaction. */
  poolSize?: number;
  /** Seals the audit chain: every replica needs the same one. Without it a store seals with a key of its own. */
  auditKey?: AuditKey;
  deadlines?: Partial<PgDeadlines>;
  /** A webhook delivery not committed within this long is answered 503 (default 5 s). */
  deliveryDeadlineMs?: number;
  /** migrate() first waits this long for the server to accept connections (default: one attempt). */
  startupWaitMs?: number;
  /** `unnamed`: no statement is prepared, for poolers that cannot carry them (see createPgPool). */
  statements?: PgStatementMode;
};

/** The write that proves the database commits; each replica keeps one row, rows of long-gone ones are dropped. */
const probeSql = `WITH gone AS (DELETE FROM store_probe WHERE at < $3 AND owner <> $1)
  INSERT INTO store_probe (owner, at) VALUES ($1, $2)
  ON CONFLICT (owner) DO UPDATE SET at = excluded.at, writes = store_probe.writes + 1`;

/**
 * The store for several replicas behind one Service. Nothing is cached between calls: every replica reads
 * what the others committed. Call migrate() before use (createDeps does).
 */
export function openPostgresStore(options: PostgresStoreOptions): Store {
  const deadlines = { ...defaultPgDeadlines, ...options.deadlines };
  const deliveryDeadlineMs = options.deliveryDeadlineMs ?? 5_000;
  const pool = createPgPool(options.url, options.poolSize ?? 10, deadlines, options.log, options.statements);
  const run = createPgRunner(pool, options.log);
  const key = options.auditKey ?? auditKeyFrom(randomBytes(32));
  const ingest = createIngestBatcher(pool, options.log, {
    deadlineMs: deliveryDeadlineMs,
    auditKey: key,
  });
  // The webhook asks before each delivery's write: the deliveries of one turn share the read.
  const knownAlerts = sharedKnownAlerts((alerts) =>
    run.read('looking up alerts', (db) => reads.knownAlerts(db, alerts), deliveryDeadlineMs),
  );
  const now = () => options.clock.now().toISOString();
  const probeOwner = `${os.hostname()}-${process.pid}`;
  let closed: Promise<void> | null = null;

  return {
    kind: 'postgres',
    async migrate() {
      await waitForPostgres({
        url: options.url,
        waitMs: options.startupWaitMs ?? 0,
        connectMs: deadlines.connectMs,
        log: options.log,
      });
      await migratePostgres(pool, () => options.clock.now());
    },
    ping: () =>
      run.write(
        'probing that the database commits',
        async (c) => {
          const at = options.clock.now();
          const stale = new Date(at.getTime() - 86_400_000).toISOString();
          await c.query(probeSql, [probeOwner, at.toISOString(), stale]);
        },
        Math.min(deadlines.statementMs, 2_000),
      ),
    close: () => {
      closed ??= pool.end();
      return closed;
    },
    ingest: (input) => ingest.ingest(input),
    listAlerts: (q) => run.read('listing alerts', (db) => reads.listAlerts(db, q)),
    alertsByStart: (alerts) => run.read('reading alerts by start', (db) => reads.alertsByStart(db, alerts)),
    knownAlerts,
    getHeal: (id) => run.read('reading a heal', (db) => reads.getHeal(db, id)),
    listHeals: (q) => run.read('listing heals', (db) => reads.listHeals(db, q)),
    healAlerts: (id) => run.read("reading a heal's alerts", (db) => reads.healAlerts(db, id)),
    countOpenHeals: () => run.read('counting open heals', (db) => reads.countOpenHeals(db)),
    healHistory: (q) => run.read('reading the heal history', (db) => healHistory(db, q)),
    appendAudit: (records) =>
      run.write('appending to the audit log', (c) => appendAudit(c, key, records, now())),
    queryAudit: (q) => run.read('querying the audit log', (db) => queryAudit(db, q)),
    verifyAudit: (verifyOptions) => verifyAudit(run, key, verifyOptions),
    checkAuditKey: () => checkAuditKey(run, key),
    getSetting: (key) => run.read('reading a setting', (db) => reads.getSetting(db, key)),
    setSetting: (name, value, records = []) =>
      run.write('writing a setting', async (c) => {
        await reads.setSetting(c, name, value, now());
        // Last, as every transaction does: the audit lock is held only until the commit.
        await appendAudit(c, key, records, now());
      }),
    claimDueHeals: (q) => run.write('claiming due heals', (c) => heals.claimDueHeals(c, q)),
    transition: (t) =>
      run.write('moving a heal', (c) => runAsync(transition(t, now()), pgStatements(c, key))),
    releaseLeases: (owner) => run.write('releasing leases', (c) => heals.releaseLeases(c, owner)),
    acquireTargetLock: (key, healId, at, until) =>
      run.write('taking a target lock', (c) => heals.acquireTargetLock(c, key, healId, at, until)),
    releaseTargetLock: (key, healId) =>
      run.write('releasing a target lock', (c) => heals.releaseTargetLock(c, key, healId)),
    countActions: (q) => run.read('counting actions', (db) => heals.countActions(db, q)),
    lastActionAt: (policy, key) =>
      run.read('reading the last action', (db) => heals.lastActionAt(db, policy, key)),
    openManualHeal: (input) =>
      run.write('opening a manual heal', (c) => runAsync(openManualHeal(input), pgStatements(c, key))),
    claimOutbox: (q) => run.write('claiming notifications', (c) => outbox.claimOutbox(c, q)),
    finishOutbox: (id, result, records) =>
      run.write('recording a notification attempt', (c) => outbox.finishOutbox(c, id, result, records, key)),
    countPendingOutbox: () =>
      run.read('counting pending notifications', (db) => outbox.countPendingOutbox(db)),
    dueDeferredMatches: (at, limit) =>
      run.read('reading deferred matches', (db) => deferred.dueDeferredMatches(db, at, limit)),
    retryDeferredMatch: (id, nextAt, detail) =>
      run.write('rescheduling a deferred match', (c) => deferred.retryDeferredMatch(c, id, nextAt, detail)),
    settleDeferredMatch: (settlement) =>
      run.write('settling a deferred match', (c) =>
        runAsync(settleDeferred(settlement), pgStatements(c, key)),
      ),
    countDeferredMatches: () =>
      run.read('counting deferred matches', (db) => deferred.countDeferredMatches(db)),
  };
}
