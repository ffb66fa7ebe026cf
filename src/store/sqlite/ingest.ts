import type { Database } from 'better-sqlite3';
import type { ReceivedAlert } from '../../alerts/schema.js';
import type { MatchOutcome } from '../../policy/types.js';
import { newId } from '../ids.js';
import {
  type AlertRef,
  alertRefOf,
  alertResolvedRecord,
  alertTrigger,
  deferredRecord,
  deliveryReceivedRecord,
  droppedRecord,
  healAlertRecord,
  newIngestResult,
  refusalRecord,
  settlementInput,
} from '../ingest-records.js';
import { type DeferredRow, deferredFromRow, deferredSelect } from '../rows.js';
import type { DeferredSettlement, IngestInput, IngestResult } from '../types.js';
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

  const insertDeferred = db.prepare(
    `INSERT OR IGNORE INTO deferred_matches (id, fingerprint, starts_at, status, policy, subject, detail, delivery_id,
                                             actor, dry_run, attempts, next_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  );

  /** What one outcome of one new alert writes: a refusal, a deferral, or a heal opened or attached. */
  function apply(
    input: IngestInput,
    deliveryId: number,
    alert: ReceivedAlert,
    ref: AlertRef,
    outcome: MatchOutcome,
    result: IngestResult,
  ): void {
    const at = input.receivedAt;
    if (outcome.outcome === 'refused') {
      result.refused += 1;
      audit.append(refusalRecord(input, outcome, ref), at);
      return;
    }
    if (outcome.outcome === 'deferred') {
      result.deferred += 1;
      insertDeferred.run(
        newId('defer', new Date(at)),
        alert.fingerprint,
        alert.startsAt,
        alert.status,
        outcome.policy,
        JSON.stringify(outcome.subject),
        outcome.detail,
        deliveryId,
        input.actor,
        input.dryRun ? 1 : 0,
        at,
        at,
      );
      audit.append(deferredRecord(input, outcome, ref), at);
      return;
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

  const deferredById = db.prepare(`${deferredSelect} WHERE d.id = ?`);
  const deleteDeferred = db.prepare('DELETE FROM deferred_matches WHERE id = ?');

  /** Ends a deferred match: removed, and its outcome written as ingest would have. Null if already gone. */
  function settle(s: DeferredSettlement): IngestResult | null {
    const row = deferredById.get(s.id) as DeferredRow | undefined;
    if (row === undefined || deleteDeferred.run(s.id).changes === 0) return null;
    const match = deferredFromRow(row);
    const input = settlementInput(match, s.at);
    const result = newIngestResult(0, input, []);
    const ref = alertRefOf(match.alert);
    if (s.outcome.outcome === 'dropped') audit.append(droppedRecord(input, s.outcome, ref), s.at);
    else apply(input, 0, match.alert, ref, s.outcome, result);
    return result;
  }

  function ingest(input: IngestInput): IngestResult {
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
      for (const outcome of outcomes) apply(input, deliveryId, alert, ref, outcome, result);
    }
    return result;
  }

  return { ingest, settle };
}
