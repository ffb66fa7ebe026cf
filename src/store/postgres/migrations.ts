/*
 * Times are ISO 8601 text (Date#toISOString: fixed width, milliseconds, Z), exactly as the SQLite store
 * keeps them: the strings read back are the strings written (audit hashes cover some of them), and with the
 * "C" collation text order is time order. JSON documents are text too, byte for byte what was written.
 */

/** Versioned, append-only: a released migration is never edited, only followed by a new one. */
export const postgresMigrations: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'core',
    sql: `
      CREATE TABLE deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at text COLLATE "C" NOT NULL,
        receiver text NOT NULL,
        group_key text NOT NULL,
        external_url text NOT NULL,
        status text NOT NULL,
        alert_count integer NOT NULL,
        new_count integer NOT NULL,
        truncated integer NOT NULL
      );
      CREATE TABLE alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fingerprint text NOT NULL,
        starts_at text COLLATE "C" NOT NULL,
        status text NOT NULL,
        ends_at text COLLATE "C",
        labels text NOT NULL,
        annotations text NOT NULL,
        generator_url text NOT NULL,
        delivery_id bigint NOT NULL REFERENCES deliveries (id),
        received_at text COLLATE "C" NOT NULL,
        UNIQUE (fingerprint, starts_at, status)
      );
      CREATE TABLE heals (
        id text COLLATE "C" PRIMARY KEY,
        policy text NOT NULL,
        target_key text NOT NULL,
        target text NOT NULL,
        state text NOT NULL,
        phase text NOT NULL DEFAULT 'guards',
        step integer NOT NULL DEFAULT 0,
        attempt integer NOT NULL DEFAULT 0,
        steps text NOT NULL,
        dry_run boolean NOT NULL,
        trigger text NOT NULL,
        opened_at text COLLATE "C" NOT NULL,
        updated_at text COLLATE "C" NOT NULL,
        closed_at text COLLATE "C",
        next_run_at text COLLATE "C",
        deadline_at text COLLATE "C",
        reason text,
        idempotency_key text,
        lease_owner text,
        lease_until text COLLATE "C",
        approved_by text,
        approved_at text COLLATE "C"
      );
      -- One open heal per (policy, target), enforced by the database itself.
      CREATE UNIQUE INDEX heals_open_per_target ON heals (policy, target_key)
        WHERE state IN ('pending', 'awaiting_approval', 'running', 'verifying');
      CREATE UNIQUE INDEX heals_idempotency ON heals (idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX heals_due ON heals (next_run_at) WHERE next_run_at IS NOT NULL;
      CREATE INDEX heals_state ON heals (state);
      CREATE INDEX heals_target ON heals (target_key);
      CREATE TABLE heal_alerts (
        heal_id text COLLATE "C" NOT NULL REFERENCES heals (id),
        fingerprint text NOT NULL,
        starts_at text COLLATE "C" NOT NULL,
        alertname text NOT NULL,
        attached_at text COLLATE "C" NOT NULL,
        resolved_at text COLLATE "C",
        PRIMARY KEY (heal_id, fingerprint, starts_at)
      );
      CREATE INDEX heal_alerts_alert ON heal_alerts (fingerprint, starts_at);
      CREATE TABLE audit (
        seq bigint PRIMARY KEY,
        at text COLLATE "C" NOT NULL,
        type text NOT NULL,
        actor text NOT NULL,
        heal_id text,
        policy text,
        target text,
        outcome text,
        data text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_heal ON audit (heal_id);
      CREATE INDEX audit_policy ON audit (policy);
      CREATE INDEX audit_target ON audit (target);
      CREATE INDEX audit_at ON audit (at);
      CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL, updated_at text NOT NULL);
      CREATE TABLE actions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        heal_id text COLLATE "C" NOT NULL REFERENCES heals (id),
        policy text NOT NULL,
        target_key text NOT NULL,
        action text NOT NULL,
        step integer NOT NULL,
        attempt integer NOT NULL,
        dry_run boolean NOT NULL,
        started_at text COLLATE "C" NOT NULL,
        finished_at text COLLATE "C",
        status text NOT NULL,
        detail text,
        UNIQUE (heal_id, step)
      );
      CREATE INDEX actions_target ON actions (target_key, started_at);
      CREATE INDEX actions_policy_target ON actions (policy, target_key, started_at);
      CREATE TABLE target_locks (
        target_key text PRIMARY KEY,
        heal_id text COLLATE "C" NOT NULL,
        until text COLLATE "C" NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'notification outbox',
    sql: `
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notifier text NOT NULL,
        heal_id text COLLATE "C",
        kind text NOT NULL,
        event text NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        next_attempt_at text COLLATE "C",
        attempts integer NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending',
        last_error text,
        sent_at text COLLATE "C",
        lease_owner text,
        lease_until text COLLATE "C"
      );
      CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
      CREATE INDEX outbox_heal ON outbox (heal_id);
    `,
  },
  // Version 3 is SQLite's outbox, which PostgreSQL had from its version 2: the numbers are shared from 4 on.
  {
    version: 4,
    name: 'keyed audit chain, scoped idempotency keys',
    sql: `
      -- Records written before the audit key existed are scheme 1 (SHA-256); new ones are HMAC-sealed (2).
      ALTER TABLE audit ADD COLUMN scheme integer NOT NULL DEFAULT 1;
      -- Idempotency keys belong to the caller that sent them, with a digest of the request they came with.
      ALTER TABLE heals ADD COLUMN idempotency_scope text;
      ALTER TABLE heals ADD COLUMN idempotency_digest text;
      UPDATE heals SET idempotency_scope = trigger::json->>'actor' WHERE idempotency_key IS NOT NULL;
      DROP INDEX heals_idempotency;
      CREATE UNIQUE INDEX heals_idempotency ON heals (idempotency_scope, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'store probe and action slots',
    sql: `
      -- One row per replica, rewritten by the readiness probe: proof that the database still commits.
      CREATE TABLE store_probe (owner text PRIMARY KEY, at text COLLATE "C" NOT NULL, writes bigint NOT NULL DEFAULT 0);
      -- The global ceiling counts every action of the last hour, whatever its target.
      CREATE INDEX actions_started ON actions (started_at);
    `,
  },
  {
    version: 6,
    name: 'paging a waiting approval',
    sql: `
      -- When the engine pages about a heal's approval wait (a timer like next_run_at), and when it did.
      ALTER TABLE heals ADD COLUMN page_at text COLLATE "C";
      ALTER TABLE heals ADD COLUMN paged_at text COLLATE "C";
    `,
  },
  {
    version: 7,
    name: 'trace context of heals',
    sql: `
      -- The W3C traceparent of the heal's root span: every replica that continues the heal joins its trace.
      ALTER TABLE heals ADD COLUMN trace_context text;
    `,
  },
  {
    version: 8,
    name: 'deferred owner-chain matches',
    sql: `
      -- An alert whose ownerOf target could not be resolved when it arrived: tried again until it resolves.
      CREATE TABLE deferred_matches (
        id text COLLATE "C" PRIMARY KEY,
        fingerprint text NOT NULL,
        starts_at text COLLATE "C" NOT NULL,
        status text NOT NULL,
        policy text NOT NULL,
        subject text NOT NULL,
        detail text NOT NULL,
        delivery_id bigint NOT NULL REFERENCES deliveries (id),
        actor text NOT NULL,
        dry_run boolean NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_at text COLLATE "C" NOT NULL,
        created_at text COLLATE "C" NOT NULL,
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
      ALTER TABLE heals ADD COLUMN mark_base integer NOT NULL DEFAULT 0;
    `,
  },
  // Version 10 is SQLite's alone: its heal attachments as one b-tree keyed by time.
  {
    version: 11,
    name: 'alerts keyed by start time',
    sql: `
      -- The alerts' identity index with the start time before the fingerprint (a hash, random): the alerts a
      -- storm brings land beside each other at the right edge of the b-tree instead of one leaf page each
      -- across the whole index, and after each checkpoint a few pages are written whole to the WAL instead of
      -- one per alert. The same rows are unique (the columns are the same set), and ON CONFLICT
      -- (fingerprint, starts_at, status) still infers it: inference matches the set, not the order. Every
      -- lookup carries the start time now (exact identities, or a time window): a fingerprint alone would
      -- scan the index. Built inside the migration's transaction: writers wait for the build (seconds per
      -- million alerts), readers do not.
      CREATE UNIQUE INDEX alerts_identity ON alerts (starts_at, fingerprint, status);
      ALTER TABLE alerts DROP CONSTRAINT alerts_fingerprint_starts_at_status_key;
      ALTER TABLE alerts ADD CONSTRAINT alerts_identity UNIQUE USING INDEX alerts_identity;
    `,
  },
];
