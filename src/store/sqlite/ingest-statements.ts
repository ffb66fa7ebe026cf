import type { Database } from 'better-sqlite3';
import type { ResolvedAttachment, SyncStoreStatements } from '../port.js';

type IngestStatements = Pick<
  SyncStoreStatements,
  'insertDelivery' | 'insertAlerts' | 'setNewCount' | 'resolveAttachments' | 'attachAlerts'
>;

/** The statements of a webhook delivery's write (src/store/programs/ingest.ts decides what they write). */
export function createSqliteIngestStatements(db: Database): IngestStatements {
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
  );
  const setNewCount = db.prepare('UPDATE deliveries SET new_count = ? WHERE id = ?');
  const insertAlert = db.prepare(
    `INSERT OR IGNORE INTO alerts
       (fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const attach = db.prepare(
    `INSERT OR IGNORE INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
     VALUES (?, ?, ?, ?, ?)`,
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
      return Number(
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
    },
    insertAlerts: (input, deliveryId) =>
      input.alerts.filter(({ alert }) => {
        const { changes } = insertAlert.run(
          alert.fingerprint,
          alert.startsAt,
          alert.status,
          alert.endsAt,
          JSON.stringify(alert.labels),
          JSON.stringify(alert.annotations),
          alert.generatorURL,
          deliveryId,
          input.receivedAt,
        );
        return changes > 0;
      }),
    setNewCount: (deliveryId, count) => void setNewCount.run(count, deliveryId),
    resolveAttachments(alert, at) {
      const attached = unresolvedAttachments.all(alert.fingerprint, alert.startsAt) as ResolvedAttachment[];
      markResolved.run(at, alert.fingerprint, alert.startsAt);
      for (const a of attached) wake.run(at, a.healId);
      return attached;
    },
    attachAlerts(attachments, at) {
      for (const a of attachments) attach.run(a.healId, a.fingerprint, a.startsAt, a.alertname, at);
    },
  };
}
