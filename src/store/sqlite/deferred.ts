import type { Database } from 'better-sqlite3';
import { type DeferredRow, deferredFromRow, deferredSelect } from '../rows.js';
import type { DeferredMatch } from '../types.js';

/** Reads and reschedules deferred matches; settling one is ingest's (ingest.ts), since it writes what ingest does. */
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
