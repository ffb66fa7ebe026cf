import type { Database } from 'better-sqlite3';
import { alertIdentity } from '../../alerts/schema.js';
import { auditTypes } from '../audit-types.js';
import { newId } from '../ids.js';
import type { HealTrigger, IngestInput, IngestResult } from '../types.js';
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
    const result: IngestResult = {
      deliveryId,
      received: input.alerts.length,
      new: fresh.length,
      deduplicated: input.alerts.length - fresh.length,
      opened: [],
      attached: [],
      refused: 0,
      resolved: 0,
    };
    // Re-deliveries change nothing: no audit noise for a group Alertmanager merely repeated.
    if (fresh.length === 0) return result;
    setNewCount.run(fresh.length, deliveryId);
    audit.append(
      {
        type: auditTypes.deliveryReceived,
        actor: input.actor,
        healId: null,
        policy: null,
        target: null,
        outcome: null,
        data: {
          deliveryId,
          receiver: delivery.receiver,
          groupKey: delivery.groupKey,
          externalURL: delivery.externalURL,
          alerts: fresh.map(({ alert }) => alertIdentity(alert)),
          deduplicated: result.deduplicated,
        },
      },
      at,
    );

    for (const { alert, outcomes } of fresh) {
      const alertname = alert.labels.alertname ?? '';
      const alertRef = { fingerprint: alert.fingerprint, startsAt: alert.startsAt, alertname };
      if (alert.status === 'resolved') {
        const attachments = unresolvedAttachments.all(alert.fingerprint, alert.startsAt) as Array<{
          heal_id: string;
          policy: string;
          target_key: string;
        }>;
        markResolved.run(at, alert.fingerprint, alert.startsAt);
        // Wake the heals that wait on this alert: verification or a pending approval can conclude now.
        for (const a of attachments) wake.run(at, a.heal_id);
        for (const a of attachments) {
          result.resolved += 1;
          audit.append(
            {
              type: auditTypes.healAlertResolved,
              actor: input.actor,
              healId: a.heal_id,
              policy: a.policy,
              target: a.target_key,
              outcome: 'resolved',
              data: { ...alertRef, endsAt: alert.endsAt },
            },
            at,
          );
        }
      }
      for (const outcome of outcomes) {
        if (outcome.outcome === 'refused') {
          result.refused += 1;
          audit.append(
            {
              type: auditTypes.policyRefused,
              actor: input.actor,
              healId: null,
              policy: outcome.policy,
              target: null,
              outcome: outcome.reason,
              data: { ...alertRef, reason: outcome.reason, detail: outcome.detail },
            },
            at,
          );
          continue;
        }
        const open = findOpenHeal.get(outcome.policy, outcome.targetKey) as { id: string } | undefined;
        let healId = open?.id;
        if (!healId) {
          healId = newId('heal', new Date(at));
          const trigger: HealTrigger = {
            kind: 'alert',
            ...alertRef,
            receiver: delivery.receiver,
            groupKey: delivery.groupKey,
            externalURL: delivery.externalURL,
          };
          insertHeal.run(
            healId,
            outcome.policy,
            outcome.targetKey,
            JSON.stringify(outcome.target),
            JSON.stringify(outcome.steps),
            input.dryRun ? 1 : 0,
            JSON.stringify(trigger),
            at,
            at,
            at,
          );
          result.opened.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
        } else if (![...result.opened, ...result.attached].some((h) => h.id === healId)) {
          result.attached.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
        }
        attach.run(healId, alert.fingerprint, alert.startsAt, alertname, at);
        audit.append(
          {
            type: open ? auditTypes.healAlertAttached : auditTypes.healOpened,
            actor: input.actor,
            healId,
            policy: outcome.policy,
            target: outcome.targetKey,
            outcome: open ? 'attached' : 'pending',
            data: open
              ? alertRef
              : { trigger: alertRef, target: outcome.target, steps: outcome.steps, dryRun: input.dryRun },
          },
          at,
        );
      }
    }
    return result;
  };
}
