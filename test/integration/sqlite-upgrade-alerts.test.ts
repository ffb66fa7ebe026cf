import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { migrateSqlite, sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { touchEveryAlertStatement } from '../support/alerts-workload.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, T, testAuditKey } from '../support/store-contract.js';

// Migration 11 rebuilds alerts with its identity keyed by start time first. A database of the previous release
// keeps every alert and its id; every statement that reads or writes alerts still finds them through an index.

const now = () => new Date('2026-11-27T03:00:00.000Z');
const startsAt = '2026-11-27T02:50:00.000Z';

/** A database as the previous release left it: schema version 10, two deliveries, four alerts. */
function releaseTenDatabase(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)');
  for (const m of sqliteMigrations.filter((x) => x.version <= 10)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
  }
  const deliveryRow = db.prepare(
    `INSERT INTO deliveries (id, received_at, receiver, group_key, external_url, status, alert_count, new_count,
                             truncated)
     VALUES (?, ?, 'salve', '{}', 'http://am', 'firing', 2, 2, 0)`,
  );
  deliveryRow.run(1, T(0));
  deliveryRow.run(2, T(1));
  const alert = db.prepare(
    `INSERT INTO alerts (id, fingerprint, starts_at, status, ends_at, labels, annotations, generator_url,
                         delivery_id, received_at)
     VALUES (?, ?, ?, ?, ?, ?, '{"summary":"s"}', 'http://prometheus', ?, ?)`,
  );
  // Ids with gaps: the rebuild keeps them as they are.
  alert.run(3, 'fp-a', startsAt, 'firing', null, '{"alertname":"X","pod":"a"}', 1, T(0));
  alert.run(7, 'fp-b', startsAt, 'firing', null, '{"alertname":"X","pod":"b"}', 1, T(0));
  alert.run(8, 'fp-a', startsAt, 'resolved', T(1), '{"alertname":"X","pod":"a"}', 2, T(1));
  alert.run(12, 'fp-a', '2026-11-27T02:55:00.000Z', 'firing', null, '{"alertname":"X","pod":"a"}', 2, T(1));
  db.close();
}

describe('SQLite migration 11: alerts keyed by start time', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const fileIn = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-upgrade-'));
    dirs.push(dir);
    return path.join(dir, 'salve.db');
  };

  it('keeps every alert and its id, unique by the same identity, in an index by start time', () => {
    const file = fileIn();
    releaseTenDatabase(file);
    const db = new Database(file);
    const rows = () => db.prepare('SELECT * FROM alerts ORDER BY id').all();
    const before = rows();
    expect(before).toHaveLength(4);
    migrateSqlite(db, now);
    expect(rows()).toEqual(before);
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'alerts'")
      .all();
    expect(indexes).toEqual([
      {
        name: 'alerts_identity',
        sql: 'CREATE UNIQUE INDEX alerts_identity ON alerts (starts_at, fingerprint, status)',
      },
    ]);
    // The same identity twice is still one row; a new one takes the next id.
    const insert = db.prepare(
      `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, delivery_id,
                           received_at)
       VALUES (?, ?, ?, '{}', '{}', '', 1, ?)`,
    );
    expect(() => insert.run('fp-a', startsAt, 'resolved', T(9))).toThrow(/UNIQUE constraint failed/);
    expect(insert.run('fp-c', startsAt, 'firing', T(9)).lastInsertRowid).toBe(13);
    // So does the foreign key: an alert names a delivery that exists.
    db.pragma('foreign_keys = ON');
    expect(() =>
      db
        .prepare(
          `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, delivery_id,
                               received_at)
           VALUES ('fp-d', ?, 'firing', '{}', '{}', '', 99, ?)`,
        )
        .run(startsAt, T(9)),
    ).toThrow(/FOREIGN KEY constraint failed/);
    db.close();
  });

  it('the store deduplicates, finds and lists the alerts the previous release wrote', async () => {
    const file = fileIn();
    releaseTenDatabase(file);
    const store = openSqliteStore({ file, clock: fakeClock(), auditKey: testAuditKey, writer: 'event-loop' });
    try {
      await store.migrate();
      const a = alertOf({ alertname: 'X', pod: 'a' }, { fingerprint: 'fp-a', startsAt });
      expect(await store.knownAlerts([a, { ...a, fingerprint: 'fp-z' }])).toEqual(
        new Set([`fp-a/${startsAt}/firing`]),
      );
      const again = await store.ingest(delivery([{ alert: a, outcomes: [] }], T(30)));
      expect(again).toMatchObject({ new: 0, deduplicated: 1 });
      expect(
        (await store.alertsByStart([{ fingerprint: 'fp-a', startsAt }])).map((r) => [r.id, r.status]),
      ).toEqual([
        [3, 'firing'],
        [8, 'resolved'],
      ]);
      const fresh = await store.ingest(
        delivery([{ alert: { ...a, fingerprint: 'fp-n' }, outcomes: [] }], T(31)),
      );
      expect(fresh).toMatchObject({ new: 1 });
      expect((await store.listAlerts({ afterId: 8, limit: 10 })).map((r) => [r.id, r.fingerprint])).toEqual([
        [12, 'fp-a'],
        [13, 'fp-n'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('every statement on alerts, on a path per alert or per request, is an index lookup, never a scan', async () => {
    // The statements are the store's own: every text it prepares while it ingests, deduplicates, defers,
    // settles, reads by start and lists as the API may, is explained on the migrated schema.
    const file = fileIn();
    const texts = new Set<string>();
    const prepare = Database.prototype.prepare;
    Database.prototype.prepare = function (this: Database.Database, source: string) {
      texts.add(source);
      return prepare.call(this, source);
    } as typeof prepare;
    try {
      const store = openSqliteStore({
        file,
        clock: fakeClock(),
        auditKey: testAuditKey,
        writer: 'event-loop',
      });
      try {
        await store.migrate();
        await touchEveryAlertStatement(store, startsAt);
      } finally {
        await store.close();
      }
    } finally {
      Database.prototype.prepare = prepare;
    }
    const onAlerts = [...texts].filter((sql) => /\b(FROM|INTO|UPDATE|JOIN)\s+alerts\b/i.test(sql));
    expect(onAlerts.length).toBeGreaterThanOrEqual(8);
    const db = new Database(file, { readonly: true });
    try {
      for (const sql of onAlerts) {
        const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
        const named = [...sql.matchAll(/@(\w+)/g)].map((m) => m[1]!);
        const args = named.length > 0 ? [Object.fromEntries(named.map((n) => [n, null]))] : [];
        const positional = (sql.match(/\?/g) ?? []).length;
        const plan = (explain.all(...args, ...Array(positional).fill(null)) as Array<{ detail: string }>)
          .map((r) => r.detail)
          .join('\n');
        expect(plan, sql).not.toMatch(/\bSCAN (alerts|a|r)\b/);
        if (/^\s*SELECT/i.test(sql)) expect(plan, sql).toMatch(/alerts|\b(a|r)\b/);
      }
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail);
      // The webhook's re-delivery read and the read by start: the identity index, nothing else.
      expect(
        plan("SELECT 1 FROM alerts WHERE fingerprint = 'f' AND starts_at = 's' AND status = 'firing'"),
      ).toEqual([
        'SEARCH alerts USING COVERING INDEX alerts_identity (starts_at=? AND fingerprint=? AND status=?)',
      ]);
      expect(plan("SELECT * FROM alerts WHERE starts_at = 's' AND fingerprint = 'f'")).toEqual([
        'SEARCH alerts USING INDEX alerts_identity (starts_at=? AND fingerprint=?)',
      ]);
    } finally {
      db.close();
    }
  });
});
