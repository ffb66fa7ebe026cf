import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { migrateSqlite, sqliteMigrations } from '../../src/store/sqlite/migrations.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, T, testAuditKey } from '../support/store-contract.js';

// Migration 10 rebuilds heal_alerts as one b-tree keyed by (heal, start, fingerprint). A database of the
// previous release keeps every attachment, and the store goes on finding and resolving them.

const now = () => new Date('2026-11-27T03:00:00.000Z');
const startsAt = '2026-11-27T02:50:00.000Z';

/** A database as the previous release left it: schema version 9, two heals, three attachments. */
function releaseNineDatabase(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)');
  for (const m of sqliteMigrations.filter((x) => x.version <= 9)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
  }
  const heal = db.prepare(
    `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger, opened_at,
                       updated_at, next_run_at)
     VALUES (?, 'p', ?, '{}', 'verifying', 'verify', 0, '[]', 0, '{}', ?, ?, ?)`,
  );
  heal.run('heal_a', 'Deployment/ns/a', T(0), T(0), T(600));
  heal.run('heal_b', 'Deployment/ns/b', T(0), T(0), T(600));
  const attach = db.prepare(
    `INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at, resolved_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  attach.run('heal_a', 'fp-1', startsAt, 'X', T(1), null);
  attach.run('heal_a', 'fp-2', startsAt, 'X', T(2), T(3));
  attach.run('heal_b', 'fp-1', startsAt, 'X', T(1), null);
  db.close();
}

describe('SQLite migration 10: heal attachments clustered by time', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const fileIn = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-upgrade-'));
    dirs.push(dir);
    return path.join(dir, 'salve.db');
  };

  it('keeps every attachment, in one b-tree whose lookups stay indexed', () => {
    const file = fileIn();
    releaseNineDatabase(file);
    const db = new Database(file);
    const rows = () => db.prepare('SELECT * FROM heal_alerts ORDER BY heal_id, fingerprint').all();
    const before = rows();
    migrateSqlite(db, now);
    expect(rows()).toEqual(before);
    expect(before).toHaveLength(3);
    const schema = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'heal_alerts'").get() as {
      sql: string;
    };
    expect(schema.sql).toMatch(/PRIMARY KEY \(heal_id, starts_at, fingerprint\)\s*\) WITHOUT ROWID/);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail);
    expect(plan("SELECT heal_id FROM heal_alerts WHERE fingerprint = 'f' AND starts_at = 's'")).toEqual([
      'SEARCH heal_alerts USING COVERING INDEX heal_alerts_alert (starts_at=? AND fingerprint=?)',
    ]);
    expect(plan("SELECT 1 FROM heal_alerts WHERE heal_id = 'h' AND resolved_at IS NULL")).toEqual([
      'SEARCH heal_alerts USING PRIMARY KEY (heal_id=?)',
    ]);
    // The same identity twice is still one row.
    expect(() =>
      db
        .prepare(`INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
                  VALUES ('heal_a', 'fp-1', ?, 'X', ?)`)
        .run(startsAt, T(9)),
    ).toThrow(/UNIQUE constraint failed/);
    // So do the foreign keys: an attachment names a heal that exists.
    db.pragma('foreign_keys = ON');
    expect(() =>
      db
        .prepare(`INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
                  VALUES ('heal_gone', 'fp-9', ?, 'X', ?)`)
        .run(startsAt, T(9)),
    ).toThrow(/FOREIGN KEY constraint failed/);
    db.close();
  });

  it('the store reads the migrated attachments and resolves them when their alert resolves', async () => {
    const file = fileIn();
    releaseNineDatabase(file);
    const store = openSqliteStore({ file, clock: fakeClock(), auditKey: testAuditKey, writer: 'event-loop' });
    try {
      expect((await store.healAlerts('heal_a')).map((a) => [a.fingerprint, a.resolvedAt])).toEqual([
        ['fp-1', null],
        ['fp-2', T(3)],
      ]);
      const resolved = alertOf(
        { alertname: 'X' },
        { fingerprint: 'fp-1', startsAt, status: 'resolved', endsAt: T(20) },
      );
      const result = await store.ingest(delivery([{ alert: resolved, outcomes: [] }], T(30)));
      expect(result).toMatchObject({ new: 1, resolved: 2 });
      for (const id of ['heal_a', 'heal_b']) {
        const fp1 = (await store.healAlerts(id)).find((a) => a.fingerprint === 'fp-1');
        expect(fp1?.resolvedAt).toBe(T(30));
      }
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  });
});
