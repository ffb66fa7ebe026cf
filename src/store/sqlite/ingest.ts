import type { Database } from 'better-sqlite3';
import { newId } from '../ids.js';
import {
  alertRefOf,
  alertResolvedRecord,
  alertTrigger,
  deliveryReceivedRecord,
  healAlertRecord,
  newIngestResult,
  refusalRecord,
} from '../ingest-records.js';
import type { IngestInput, IngestResult } from '../types.js';
import type { SqliteAudit } from './audit.js';

/** The write half of a webhook delivery. Runs inside the batcher's transaction: all of it or none. */
export function createSqliteIngest(db: Database, audit: SqliteAudit) {
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
  const findOpenHeal = db.prepare(
    `SELECT id FROM heals WHERE policy = ? AND target_key = ?
       AND state IN ('pending', 'awaiting_approval', 'running', 'verifying')`,
  );
  const insertHeal = db.prepare(
    `INSERT INTO heals (id, policy, target_key, target, state, step, steps, dry_run, trigger, opened_at, updated_at,
                        phase, next_run_at)
     VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, 'guards', ?)`,
  );
  const attach = db.prepare(
    `INSERT OR IGNORE INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const unresolvedAttachments = db.prepare(
    `SELECT ha.heal_id, h.policy, h.target_key FROM heal_alerts ha JOIN heals h ON h.id = ha.heal_id
     WHERE ha.fingerprint = ? AND ha.starts_at = ? AND ha.resolved_at IS NULL`,
  );
  const wake = db.prepare('UPDATE heals SET next_run_at = ? WHERE id = ? AND next_run_at IS NOT NULL');
  const markResolved = db.prepare(
    'UPDATE heal_alerts SET resolved_at = ? WHERE fingerprint = ? AND starts_at = ? AND resolved_at IS NULL',
  );

  return function ingest(input: IngestInput): IngestResult {
    const at = input.receivedAt;
    const { delivery } = input;
    const deliveryId = Number(
      insertDelivery.run(
        at,
        delivery.receiver,
        delivery.groupKey,
        delivery.externalURL,
        delivery.status,
        input.alerts.length,
        delivery.truncatedAlerts,
      ).lastInsertRowid,
    );
    const fresh = input.alerts.filter(({ alert }) => {
      const { changes } = insertAlert.run(
        alert.fingerprint,
        alert.startsAt,
        alert.status,
        alert.endsAt,
        JSON.stringify(alert.labels),
        JSON.stringify(alert.annotations),
        alert.generatorURL,
        deliveryId,
        at,
      );
      return changes > 0;
    });
    const result = newIngestResult(deliveryId, input, fresh);
    // Re-deliveries change nothing: no audit noise for a group Alertmanager merely repeated.
    if (fresh.length === 0) return result;
    setNewCount.run(fresh.length, deliveryId);
    audit.append(deliveryReceivedRecord(input, deliveryId, fresh, result.deduplicated), at);

    for (const { alert, outcomes } of fresh) {
      const ref = alertRefOf(alert);
      if (alert.status === 'resolved') {
        const attachments = unresolvedAttachments.all(alert.fingerprint, alert.startsAt) as Array<{
          heal_id: string;
          policy: string;
          target_key: string;
        }>;
        markResolved.run(at, alert.fingerprint, alert.startsAt);
        for (const a of attachments) {
          // Wake the heals that wait on this alert: verification or a pending approval can conclude now.
          wake.run(at, a.heal_id);
          result.resolved += 1;
          const heal = { healId: a.heal_id, policy: a.policy, targetKey: a.target_key };
          audit.append(alertResolvedRecord(input, heal, ref, alert.endsAt), at);
        }
      }
      for (const outcome of outcomes) {
        if (outcome.outcome === 'refused') {
          result.refused += 1;
          audit.append(refusalRecord(input, outcome, ref), at);
          continue;
        }
        const open = findOpenHeal.get(outcome.policy, outcome.targetKey) as { id: string } | undefined;
        let healId = open?.id;
        if (!healId) {
          healId = newId('heal', new Date(at));
          insertHeal.run(
            healId,
            outcome.policy,
            outcome.targetKey,
            JSON.stringify(outcome.target),
            JSON.stringify(outcome.steps),
            input.dryRun ? 1 : 0,
            JSON.stringify(alertTrigger(input, ref)),
            at,
            at,
            at,
          );
          result.opened.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
        } else if (![...result.opened, ...result.attached].some((h) => h.id === healId)) {
          result.attached.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
        }
        attach.run(healId, alert.fingerprint, alert.startsAt, ref.alertname, at);
        audit.append(healAlertRecord(input, healId, outcome, ref, open !== undefined), at);
      }
    }
    return result;
  };
}
