import type { Database } from 'better-sqlite3';
import type { AuditInput } from '../../domain/audit.js';
import type { OutboxInput } from '../../domain/notification.js';
import type { ClaimQuery, OutboxItem, OutboxResult } from '../types.js';
import type { SqliteAudit } from './audit.js';

type OutboxRow = {
  id: number;
  notifier: string;
  heal_id: string | null;
  event: string;
  attempts: number;
  created_at: string;
};

/** The durable outbox: a notification is committed with the move that causes it, and sent afterwards. */
export function createSqliteOutbox(db: Database, audit: SqliteAudit) {
  const insert = db.prepare(
    `INSERT INTO outbox (notifier, heal_id, kind, event, created_at, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const due = db.prepare(
    `SELECT id, notifier, heal_id, event, attempts, created_at FROM outbox
     WHERE status = 'pending' AND next_attempt_at <= @now
       AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until < @now)
     ORDER BY id LIMIT @limit`,
  );
  const lease = db.prepare('UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id = ?');
  return {
    enqueue(items: readonly OutboxInput[], healId: string | null, at: string): void {
      for (const item of items)
        insert.run(item.notifier, healId, item.event.kind, JSON.stringify(item.event), at, at);
    },
    claim(q: ClaimQuery): OutboxItem[] {
      const rows = due.all(q) as OutboxRow[];
      for (const row of rows) lease.run(q.owner, q.leaseUntil, row.id);
      return rows.map((r) => ({
        id: r.id,
        notifier: r.notifier,
        healId: r.heal_id,
        event: JSON.parse(r.event),
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    },
    finish(id: number, result: OutboxResult, records: readonly AuditInput[]): void {
      if (result.outcome === 'sent') {
        db.prepare(
          `UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
           WHERE id = ?`,
        ).run(result.at, id);
      } else if (result.outcome === 'retry') {
        db.prepare(
          `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL,
             lease_until = NULL WHERE id = ?`,
        ).run(result.nextAttemptAt, result.error, id);
      } else {
        db.prepare(
          `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?, lease_owner = NULL,
             lease_until = NULL WHERE id = ?`,
        ).run(result.error, id);
      }
      for (const record of records) audit.append(record, result.at);
    },
    countPending(): number {
      return (db.prepare(`SELECT count(*) AS n FROM outbox WHERE status = 'pending'`).get() as { n: number })
        .n;
    },
  };
}

export type SqliteOutbox = ReturnType<typeof createSqliteOutbox>;
