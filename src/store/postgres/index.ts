import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../observability/logger.js';
import { type AuditKey, auditKeyFrom } from '../audit-chain.js';
import type { Store } from '../types.js';
import { appendAudit, checkAuditKey, queryAudit, verifyAudit } from './audit.js';
import { createPgRunner } from './db.js';
import * as heals from './heal-ops.js';
import { createIngestBatcher } from './ingest-batcher.js';
import { migratePostgres } from './migrations.js';
import * as outbox from './outbox.js';
import * as reads from './reads.js';

export type PostgresStoreOptions = {
  /** postgres:// or postgresql:// connection URL (libpq query parameters such as sslmode work). */
  url: string;
  clock: Clock;
  log?: Logger;
  /** Connections per replica; each webhook, claim and transition holds one for its transaction. */
  poolSize?: number;
  /** Seals the audit chain: every replica needs the same one. Without it a store seals with a key of its own. */
  auditKey?: AuditKey;
};

/**
 * The store for several replicas behind one Service. Nothing is cached between calls: every replica reads
 * what the others committed. Call migrate() before use (createDeps does).
 */
export function openPostgresStore(options: PostgresStoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Alertmanager gives up on a webhook after about 10 s: answer 503 well before that.
    connectionTimeoutMillis: 5_000,
    // A replica that stalls inside a transaction (stopped, partitioned) must not hold the audit lock forever.
    idle_in_transaction_session_timeout: 30_000,
    application_name: 'salve',
  });
  // An idle connection dropped by the server must not take the process down; the next checkout reconnects.
  pool.on('error', (err) => options.log?.warn({ err }, 'PostgreSQL connection lost'));
  const run = createPgRunner(pool, options.log);
  const key = options.auditKey ?? auditKeyFrom(randomBytes(32));
  const ingest = createIngestBatcher(pool, options.log, { auditKey: key });
  const now = () => options.clock.now().toISOString();
  let closed: Promise<void> | null = null;

  return {
    kind: 'postgres',
    migrate: () => migratePostgres(pool, () => options.clock.now()),
    ping: () =>
      run.read('ping', async (db) => {
        await db.query('SELECT 1');
      }),
    close: () => {
      closed ??= pool.end();
      return closed;
    },
    ingest: (input) => ingest.ingest(input),
    listAlerts: (q) => run.read('listing alerts', (db) => reads.listAlerts(db, q)),
    knownAlerts: (alerts) => run.read('looking up alerts', (db) => reads.knownAlerts(db, alerts)),
    getHeal: (id) => run.read('reading a heal', (db) => reads.getHeal(db, id)),
    listHeals: (q) => run.read('listing heals', (db) => reads.listHeals(db, q)),
    healAlerts: (id) => run.read("reading a heal's alerts", (db) => reads.healAlerts(db, id)),
    countOpenHeals: () => run.read('counting open heals', (db) => reads.countOpenHeals(db)),
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
    transition: (t) => run.write('moving a heal', (c) => heals.transition(c, t, now(), key)),
    releaseLeases: (owner) => run.write('releasing leases', (c) => heals.releaseLeases(c, owner)),
    acquireTargetLock: (key, healId, at, until) =>
      run.write('taking a target lock', (c) => heals.acquireTargetLock(c, key, healId, at, until)),
    releaseTargetLock: (key, healId) =>
      run.write('releasing a target lock', (c) => heals.releaseTargetLock(c, key, healId)),
    countActions: (q) => run.read('counting actions', (db) => heals.countActions(db, q)),
    lastActionAt: (policy, key) =>
      run.read('reading the last action', (db) => heals.lastActionAt(db, policy, key)),
    openManualHeal: (input) => run.write('opening a manual heal', (c) => heals.openManualHeal(c, input, key)),
    claimOutbox: (q) => run.write('claiming notifications', (c) => outbox.claimOutbox(c, q)),
    finishOutbox: (id, result, records) =>
      run.write('recording a notification attempt', (c) => outbox.finishOutbox(c, id, result, records, key)),
    countPendingOutbox: () =>
      run.read('counting pending notifications', (db) => outbox.countPendingOutbox(db)),
  };
}
