import type { Database } from 'better-sqlite3';
import { SalveError } from '../../errors.js';

/** Versioned, append-only: a released migration is never edited, only followed by a new one. */
export const sqliteMigrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'core',
    sql: `
      CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        receiver TEXT NOT NULL,
        group_key TEXT NOT NULL,
        external_url TEXT NOT NULL,
        status TEXT NOT NULL,
        alert_count INTEGER NOT NULL,
        new_count INTEGER NOT NULL,
        truncated INTEGER NOT NULL
      );
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        status TEXT NOT NULL,
        ends_at TEXT,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL,
        generator_url TEXT NOT NULL,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        received_at TEXT NOT NULL,
        UNIQUE (fingerprint, starts_at, status)
      );
      CREATE TABLE heals (
        id TEXT PRIMARY KEY,
        policy TEXT NOT NULL,
        target_key TEXT NOT NULL,
        target TEXT NOT NULL,
        state TEXT NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,
        steps TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        trigger TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT
      );
      -- One open heal per (policy, target), enforced by the database itself.
      CREATE UNIQUE INDEX heals_open_per_target ON heals (policy, target_key)
        WHERE state IN ('pending', 'awaiting_approval', 'running', 'verifying');
      CREATE INDEX heals_state ON heals (state);
      CREATE INDEX heals_target ON heals (target_key);
      CREATE TABLE heal_alerts (
        heal_id TEXT NOT NULL REFERENCES heals(id),
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        alertname TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        resolved_at TEXT,
        PRIMARY KEY (heal_id, fingerprint, starts_at)
      );
      CREATE INDEX heal_alerts_alert ON heal_alerts (fingerprint, starts_at);
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        heal_id TEXT,
        policy TEXT,
        target TEXT,
        outcome TEXT,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_heal ON audit (heal_id);
      CREATE INDEX audit_policy ON audit (policy);
      CREATE INDEX audit_target ON audit (target);
      CREATE INDEX audit_at ON audit (at);
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'heal engine',
    sql: `
      ALTER TABLE heals ADD COLUMN phase TEXT NOT NULL DEFAULT 'guards';
      ALTER TABLE heals ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE heals ADD COLUMN next_run_at TEXT;
      ALTER TABLE heals ADD COLUMN deadline_at TEXT;
      ALTER TABLE heals ADD COLUMN reason TEXT;
      ALTER TABLE heals ADD COLUMN idempotency_key TEXT;
      ALTER TABLE heals ADD COLUMN lease_owner TEXT;
      ALTER TABLE heals ADD COLUMN lease_until TEXT;
      ALTER TABLE heals ADD COLUMN approved_by TEXT;
      ALTER TABLE heals ADD COLUMN approved_at TEXT;
      UPDATE heals SET next_run_at = opened_at
        WHERE state IN ('pending', 'awaiting_approval', 'running', 'verifying');
      CREATE UNIQUE INDEX heals_idempotency ON heals (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX heals_due ON heals (next_run_at) WHERE next_run_at IS NOT NULL;
      CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        heal_id TEXT NOT NULL REFERENCES heals(id),
        policy TEXT NOT NULL,
        target_key TEXT NOT NULL,
        action TEXT NOT NULL,
        step INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        dry_run INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        detail TEXT
      );
      CREATE UNIQUE INDEX actions_heal_step ON actions (heal_id, step);
      CREATE INDEX actions_target ON actions (target_key, started_at);
      CREATE INDEX actions_policy_target ON actions (policy, target_key, started_at);
      CREATE TABLE target_locks (
        target_key TEXT PRIMARY KEY,
        heal_id TEXT NOT NULL,
        until TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'notification outbox',
    sql: `
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        notifier TEXT NOT NULL,
        heal_id TEXT,
        kind TEXT NOT NULL,
        event TEXT NOT NULL,
        created_at TEXT NOT NULL,
        next_attempt_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT,
        sent_at TEXT,
        lease_owner TEXT,
        lease_until TEXT
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX outbox_heal ON outbox (heal_id);
    `,
  },
  {
    version: 4,
    name: 'keyed audit chain, scoped idempotency keys',
    sql: `
      -- Records written before the audit key existed are scheme 1 (SHA-256); new ones are HMAC-sealed (2).
      ALTER TABLE audit ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1;
      -- Idempotency keys belong to the caller that sent them, with a digest of the request they came with.
      ALTER TABLE heals ADD COLUMN idempotency_scope TEXT;
      ALTER TABLE heals ADD COLUMN idempotency_digest TEXT;
      UPDATE heals SET idempotency_scope = json_extract(trigger, '$.actor') WHERE idempotency_key IS NOT NULL;
      DROP INDEX heals_idempotency;
      CREATE UNIQUE INDEX heals_idempotency ON heals (idempotency_scope, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'store probe and action slots',
    sql: `
      -- Rewritten by the readiness probe: proof that the database file still takes commits.
      CREATE TABLE store_probe (owner TEXT PRIMARY KEY, at TEXT NOT NULL, writes INTEGER NOT NULL DEFAULT 0);
      -- The global ceiling counts every action of the last hour, whatever its target.
      CREATE INDEX actions_started ON actions (started_at);
    `,
  },
  {
    version: 6,
    name: 'paging a waiting approval',
    sql: `
      -- When the engine pages about a heal's approval wait (a timer like next_run_at), and when it did.
      ALTER TABLE heals ADD COLUMN page_at TEXT;
      ALTER TABLE heals ADD COLUMN paged_at TEXT;
    `,
  },
  {
    version: 7,
    name: 'trace context of heals',
    sql: `
      -- The W3C traceparent of the heal's root span: every replica that continues the heal joins its trace.
      ALTER TABLE heals ADD COLUMN trace_context TEXT;
    `,
  },
  {
    version: 8,
    name: 'deferred owner-chain matches',
    sql: `
      -- An alert whose ownerOf target could not be resolved when it arrived: tried again until it resolves.
      CREATE TABLE deferred_matches (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        status TEXT NOT NULL,
        policy TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
        actor TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (fingerprint, starts_at, status, policy)
      );
      CREATE INDEX deferred_matches_due ON deferred_matches (next_at);
    `,
  },
  {
    version: 9,
    name: 'step marks counted per heal',
    sql: `
      -- What a heal's step adds to its index in the marks and names it leaves on what it changes, so that a
      -- re-run recognises its own work. Heals from before steps were numbered from 1 (and rows a replica of
      -- that release still inserts) keep the index: 0. This release writes 1 for every heal it opens.
      ALTER TABLE heals ADD COLUMN mark_base INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 10,
    name: 'heal attachments clustered by time',
    sql: `
      -- One b-tree instead of a table, its primary key's index and an index by fingerprint: the rows live in
      -- their key. The start time comes before the fingerprint (a hash, random) in both keys, so the alerts a
      -- storm attaches land beside each other at the end of each heal's range (and of the lookup index)
      -- instead of one page each across the whole file. The same rows are unique: the key's columns are the
      -- same set.
      CREATE TABLE heal_alerts_clustered (
        heal_id TEXT NOT NULL REFERENCES heals(id),
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        alertname TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        resolved_at TEXT,
        PRIMARY KEY (heal_id, starts_at, fingerprint)
      ) WITHOUT ROWID;
      INSERT INTO heal_alerts_clustered (heal_id, fingerprint, starts_at, alertname, attached_at, resolved_at)
        SELECT heal_id, fingerprint, starts_at, alertname, attached_at, resolved_at FROM heal_alerts;
      DROP TABLE heal_alerts;
      ALTER TABLE heal_alerts_clustered RENAME TO heal_alerts;
      -- A resolved alert finds the heals it is attached to.
      CREATE INDEX heal_alerts_alert ON heal_alerts (starts_at, fingerprint);
    `,
  },
  {
    version: 11,
    name: 'alerts keyed by start time',
    sql: `
      -- The alerts' identity index with the start time before the fingerprint (a hash, random): the alerts a
      -- storm brings land beside each other at the end of the index instead of one page each across the
      -- whole file, and a commit writes and syncs a few pages of it instead of one per alert. SQLite cannot
      -- change a table's UNIQUE constraint, so the table is rebuilt with every row and its id (ids page the
      -- alerts' listing and the replay's source), and the identity becomes a named unique index: the same
      -- rows are unique, its columns are the same set. Every lookup carries the start time now (exact
      -- identities, or a time window): a fingerprint alone would scan the index.
      CREATE TABLE alerts_keyed (
        id INTEGER PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        status TEXT NOT NULL,
        ends_at TEXT,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL,
        generator_url TEXT NOT NULL,
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
        received_at TEXT NOT NULL
      );
      INSERT INTO alerts_keyed (id, fingerprint, starts_at, status, ends_at, labels, annotations, generator_url,
                                delivery_id, received_at)
        SELECT id, fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id,
               received_at
          FROM alerts ORDER BY id;
      DROP TABLE alerts;
      ALTER TABLE alerts_keyed RENAME TO alerts;
      CREATE UNIQUE INDEX alerts_identity ON alerts (starts_at, fingerprint, status);
    `,
  },
];

export function migrateSqlite(db: Database, now: () => Date): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)',
  );
  const applied = new Set(
    db
      .prepare('SELECT version FROM schema_migrations')
      .all()
      .map((row) => (row as { version: number }).version),
  );
  const latest = Math.max(0, ...applied);
  const known = Math.max(...sqliteMigrations.map((m) => m.version));
  if (latest > known) {
    throw new SalveError(
      'SALVE_STORE_MIGRATION_FAILED',
      `the database is at schema version ${latest}, newer than this salve knows (${known}); upgrade salve`,
    );
  }
  for (const migration of sqliteMigrations) {
    if (applied.has(migration.version)) continue;
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          now().toISOString(),
        );
      })();
    } catch (cause) {
      throw new SalveError(
        'SALVE_STORE_MIGRATION_FAILED',
        `migration ${migration.version} (${migration.name}) failed`,
        { cause },
      );
    }
  }
}
