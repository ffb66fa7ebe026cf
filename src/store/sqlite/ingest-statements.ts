import type { Database, Statement } from 'better-sqlite3';
import { alertIdentity } from '../../alerts/identity.js';
import type { ResolvedAttachment, SyncStoreStatements } from '../port.js';
import type { IngestAlert } from '../types.js';

type IngestStatements = Pick<SyncStoreStatements, 'insertDelivery' | 'resolveAttachments' | 'attachAlerts'>;

/** Rows per multi-row INSERT: 50 alerts are 450 parameters, far under SQLite's limit. */
const CHUNK = 50;

/**
 * `INSERT ... VALUES (...), (...)` for 1 to CHUNK rows, each count prepared once: one statement for a
 * delivery's alerts instead of one per alert.
 */
function multiRow(db: Database, head: string, columns: number, tail = ''): (rows: number) => Statement {
  const prepared = new Map<number, Statement>();
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  return (rows) => {
    let statement = prepared.get(rows);
    if (statement === undefined) {
      statement = db.prepare(`${head} VALUES ${Array.from({ length: rows }, () => row).join(', ')} ${tail}`);
      prepared.set(rows, statement);
    }
    return statement;
  };
}

function* chunks<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** The statements of a webhook delivery's write (src/store/programs/ingest.ts decides what they write). */
export function createSqliteIngestStatements(db: Database): IngestStatements {
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
  );
  const setNewCount = db.prepare('UPDATE deliveries SET new_count = ? WHERE id = ?');
  const insertAlerts = multiRow(
    db,
    `INSERT OR IGNORE INTO alerts
       (fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id, received_at)`,
    9,
  );
  // The delivery whose row holds an identity: an alert this delivery inserted is this delivery's.
  const deliveryOf = db
    .prepare('SELECT delivery_id FROM alerts WHERE starts_at = ? AND fingerprint = ? AND status = ?')
    .pluck();
  const attach = multiRow(
    db,
    'INSERT OR IGNORE INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)',
    5,
  );
  const unresolvedAttachments = db.prepare(
    `SELECT ha.heal_id AS healId, h.policy, h.target_key AS targetKey FROM heal_alerts ha
       JOIN heals h ON h.id = ha.heal_id
     WHERE ha.fingerprint = ? AND ha.starts_at = ? AND ha.resolved_at IS NULL ORDER BY ha.heal_id`,
  );
  const wake = db.prepare('UPDATE heals SET next_run_at = ? WHERE id = ? AND next_run_at IS NOT NULL');
  const markResolved = db.prepare(
    'UPDATE heal_alerts SET resolved_at = ? WHERE fingerprint = ? AND starts_at = ? AND resolved_at IS NULL',
  );

  return {
    insertDelivery(input) {
      const { delivery } = input;
      const deliveryId = Number(
        insertDelivery.run(
          input.receivedAt,
          delivery.receiver,
          delivery.groupKey,
          delivery.externalURL,
          delivery.status,
          input.alerts.length,
          delivery.truncatedAlerts,
        ).lastInsertRowid,
      );
      const fresh: IngestAlert[] = [];
      // Identities this delivery inserted, made only once a statement ignored a row.
      let insertedHere: Set<string> | null = null;
      for (const chunk of chunks(input.alerts)) {
        const params = chunk.flatMap(({ alert, stored }) => [
          alert.fingerprint,
          alert.startsAt,
          alert.status,
          alert.endsAt,
          stored?.labels ?? JSON.stringify(alert.labels),
          stored?.annotations ?? JSON.stringify(alert.annotations),
          alert.generatorURL,
          deliveryId,
          input.receivedAt,
        ]);
        const { changes } = insertAlerts(chunk.length).run(...params);
        // Every row inserted: every alert of the chunk is new (none was stored, none repeats an earlier one).
        // None inserted: every one is a duplicate. Only a chunk of both is read back, by identity.
        if (changes === chunk.length && insertedHere === null) fresh.push(...chunk);
        else if (changes > 0) {
          insertedHere ??= new Set(fresh.map(({ alert }) => alertIdentity(alert)));
          for (const item of chunk) {
            const id = alertIdentity(item.alert);
            // The same alert twice in one delivery: the first one is new, the second a duplicate.
            if (insertedHere.has(id)) continue;
            const { startsAt, fingerprint, status } = item.alert;
            if (deliveryOf.get(startsAt, fingerprint, status) !== deliveryId) continue;
            insertedHere.add(id);
            fresh.push(item);
          }
        }
      }
      if (fresh.length > 0) setNewCount.run(fresh.length, deliveryId);
      return { deliveryId, fresh };
    },
    resolveAttachments(alert, at) {
      const attached = unresolvedAttachments.all(alert.fingerprint, alert.startsAt) as ResolvedAttachment[];
      markResolved.run(at, alert.fingerprint, alert.startsAt);
      for (const a of attached) wake.run(at, a.healId);
      return attached;
    },
    attachAlerts(attachments, at) {
      for (const chunk of chunks(attachments)) {
        attach(chunk.length).run(
          ...chunk.flatMap((a) => [a.healId, a.fingerprint, a.startsAt, a.alertname, at]),
        );
      }
    },
  };
}
