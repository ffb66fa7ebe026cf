import type { Database } from 'better-sqlite3';
import type { SyncStoreStatements } from '../port.js';
import { type DeferredRow, deferredFromRow, deferredSelect } from '../rows.js';
import type { DeferredMatch } from '../types.js';

/** Deferred matches' statements (kept at ingest, taken when settled: src/store/programs/). */
export function createSqliteDeferredStatements(
  db: Database,
): Pick<SyncStoreStatements, 'insertDeferredMatches' | 'takeDeferredMatch'> {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO deferred_matches (id, fingerprint, starts_at, status, policy, subject, detail, delivery_id,
                                             actor, dry_run, attempts, next_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  );
  const byId = db.prepare(`${deferredSelect} WHERE d.id = ?`);
  const remove = db.prepare('DELETE FROM deferred_matches WHERE id = ?');
  return {
    insertDeferredMatches(rows, deliveryId, input) {
      const at = input.receivedAt;
      for (const r of rows) {
        insert.run(
          r.id,
          r.fingerprint,
          r.startsAt,
          r.status,
          r.policy,
          JSON.stringify(r.subject),
          r.detail,
          deliveryId,
          input.actor,
          input.dryRun ? 1 : 0,
          at,
          at,
        );
      }
    },
    takeDeferredMatch(id) {
      const row = byId.get(id) as DeferredRow | undefined;
      if (row === undefined || remove.run(id).changes === 0) return null;
      return deferredFromRow(row);
    },
  };
}

/** Reads and reschedules deferred matches (the retry loop's, outside any program). */
export function createSqliteDeferred(db: Database) {
  const due = db.prepare(`${deferredSelect} WHERE d.next_at <= ? ORDER BY d.next_at, d.id LIMIT ?`);
  const retry = db.prepare(
    'UPDATE deferred_matches SET attempts = attempts + 1, next_at = ?, detail = ? WHERE id = ?',
  );
  const count = db.prepare('SELECT count(*) AS n FROM deferred_matches');
  return {
    due: (at: string, limit: number): DeferredMatch[] =>
      (due.all(at, limit) as DeferredRow[]).map(deferredFromRow),
    retry(id: string, nextAt: string, detail: string): void {
      retry.run(nextAt, detail, id);
    },
    count: (): number => (count.get() as { n: number }).n,
  };
}
