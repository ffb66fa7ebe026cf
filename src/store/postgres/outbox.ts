import type pg from 'pg';
import type { AuditInput } from '../../domain/audit.js';
import type { OutboxInput } from '../../domain/notification.js';
import type { AuditKey } from '../audit-chain.js';
import type { ClaimQuery, OutboxItem, OutboxResult } from '../types.js';
import { appendAudit } from './audit.js';
import { type Queryable, storableText } from './db.js';

type OutboxRow = {
  id: string;
  notifier: string;
  heal_id: string | null;
  event: string;
  attempts: number;
  created_at: string;
};

/** The durable outbox: a notification is committed with the move that causes it, and sent afterwards. */
export async function enqueueOutbox(
  db: Queryable,
  items: readonly OutboxInput[],
  healId: string | null,
  at: string,
): Promise<void> {
  if (items.length === 0) return;
  await db.query(
    `INSERT INTO outbox (notifier, heal_id, kind, event, created_at, next_attempt_at)
     SELECT n, $4::text, k, e, $5::text, $5::text FROM unnest($1::text[], $2::text[], $3::text[]) AS u(n, k, e)`,
    [
      items.map((i) => i.notifier),
      items.map((i) => i.event.kind),
      items.map((i) => JSON.stringify(i.event)),
      healId,
      at,
    ],
  );
}

/** Like heals: SKIP LOCKED, so replicas sending notifications at once never send the same one twice. */
export async function claimOutbox(db: Queryable, q: ClaimQuery): Promise<OutboxItem[]> {
  const { rows } = await db.query<OutboxRow>(
    `WITH due AS (
       SELECT id FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= $1
          AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < $1)
        ORDER BY id
        LIMIT $4
        FOR UPDATE SKIP LOCKED
     )
     UPDATE outbox o SET lease_owner = $2, lease_until = $3 FROM due WHERE o.id = due.id
     RETURNING o.id, o.notifier, o.heal_id, o.event, o.attempts, o.created_at`,
    [q.now, q.owner, q.leaseUntil, q.limit],
  );
  return rows
    .map((r) => ({
      id: Number(r.id),
      notifier: r.notifier,
      healId: r.heal_id,
      event: JSON.parse(r.event),
      attempts: r.attempts,
      createdAt: r.created_at,
    }))
    .sort((a, b) => a.id - b.id);
}

export async function finishOutbox(
  client: pg.PoolClient,
  id: number,
  result: OutboxResult,
  records: readonly AuditInput[],
  key: AuditKey,
): Promise<void> {
  if (result.outcome === 'sent') {
    await client.query(
      `UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, lease_owner = NULL,
         lease_until = NULL WHERE id = $2`,
      [result.at, id],
    );
  } else if (result.outcome === 'retry') {
    await client.query(
      `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, lease_owner = NULL,
         lease_until = NULL WHERE id = $3`,
      [result.nextAttemptAt, storableText(result.error), id],
    );
  } else {
    await client.query(
      `UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = $1, lease_owner = NULL,
         lease_until = NULL WHERE id = $2`,
      [storableText(result.error), id],
    );
  }
  await appendAudit(client, key, records, result.at);
}

export async function countPendingOutbox(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox WHERE status = 'pending'`,
  );
  return rows[0]!.n;
}
