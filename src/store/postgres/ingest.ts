import type pg from 'pg';
import { type AlertStatus, alertIdentity } from '../../alerts/schema.js';
import type { AuditInput } from '../../domain/audit.js';
import type { HealTrigger } from '../../domain/heal.js';
import type { MatchOutcome } from '../../policy/types.js';
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
import type { IngestAlert, IngestInput, IngestResult } from '../types.js';
import { lockKeys, targetLockKey } from './locks.js';

type Match = Extract<MatchOutcome, { outcome: 'match' }>;
const pairKey = (policy: string, targetKey: string) => `${policy}\u0000${targetKey}`;

/** Inserts the delivery's alerts; returns the ones this delivery is the first to bring (in delivery order). */
async function insertAlerts(
  client: pg.PoolClient,
  input: IngestInput,
  deliveryId: number,
): Promise<IngestAlert[]> {
  // Sorted by identity: concurrent deliveries of one group take the unique-index entries in the same order.
  const sorted = [...input.alerts].sort((a, b) => {
    const x = alertIdentity(a.alert);
    const y = alertIdentity(b.alert);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const alerts = sorted.map((a) => a.alert);
  const { rows } = await client.query<{ fingerprint: string; starts_at: string; status: AlertStatus }>(
    `INSERT INTO alerts
       (fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id, received_at)
     SELECT f, s, st, e, l, a, g, $8::bigint, $9::text
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
         AS t(f, s, st, e, l, a, g)
     ON CONFLICT (fingerprint, starts_at, status) DO NOTHING
     RETURNING fingerprint, starts_at, status`,
    [
      alerts.map((a) => a.fingerprint),
      alerts.map((a) => a.startsAt),
      alerts.map((a) => a.status),
      alerts.map((a) => a.endsAt),
      alerts.map((a) => JSON.stringify(a.labels)),
      alerts.map((a) => JSON.stringify(a.annotations)),
      alerts.map((a) => a.generatorURL),
      deliveryId,
      input.receivedAt,
    ],
  );
  const inserted = new Set(
    rows.map((r) => alertIdentity({ fingerprint: r.fingerprint, startsAt: r.starts_at, status: r.status })),
  );
  // The same alert twice in one delivery: the first one is new, the second a duplicate (as in SQLite).
  return input.alerts.filter(({ alert }) => inserted.delete(alertIdentity(alert)));
}

/** Open heals of these (policy, target) pairs, share-locked: none can close until this delivery commits. */
async function findOpenHeals(client: pg.PoolClient, pairs: Match[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; policy: string; target_key: string }>(
    `SELECT id, policy, target_key FROM heals
      WHERE state IN ('pending', 'awaiting_approval', 'running', 'verifying')
        AND (policy, target_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
      FOR SHARE`,
    [pairs.map((m) => m.policy), pairs.map((m) => m.targetKey)],
  );
  return new Map(rows.map((r) => [pairKey(r.policy, r.target_key), r.id]));
}

export type IngestWrite = { result: IngestResult; audit: AuditInput[] };

/**
 * The write half of a webhook delivery, inside a transaction the caller commits, with the same semantics as
 * SQLite. The audit records come back rather than being appended here: the caller appends them last.
 */
export async function ingestDelivery(client: pg.PoolClient, input: IngestInput): Promise<IngestWrite> {
  const at = input.receivedAt;
  const { delivery } = input;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO deliveries (received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id`,
    [
      at,
      delivery.receiver,
      delivery.groupKey,
      delivery.externalURL,
      delivery.status,
      input.alerts.length,
      delivery.truncatedAlerts,
    ],
  );
  const deliveryId = Number(rows[0]!.id);
  const fresh = await insertAlerts(client, input, deliveryId);
  const result = newIngestResult(deliveryId, input, fresh);
  // Re-deliveries change nothing: no audit noise for a group Alertmanager merely repeated (or an HA peer sent).
  if (fresh.length === 0) return { result, audit: [] };
  await client.query('UPDATE deliveries SET new_count = $1 WHERE id = $2', [fresh.length, deliveryId]);

  const matches = fresh.flatMap(({ outcomes }) => outcomes.filter((o): o is Match => o.outcome === 'match'));
  const pairs = [...new Map(matches.map((m) => [pairKey(m.policy, m.targetKey), m])).values()];
  // Every opener of heals (ingest on any replica, manual heals) takes these first: of two deliveries for
  // one target, the second sees the first one's heal and attaches to it.
  await lockKeys(
    client,
    pairs.map((m) => targetLockKey(m.policy, m.targetKey)),
  );
  const open = pairs.length > 0 ? await findOpenHeals(client, pairs) : new Map<string, string>();
  const pending = createPendingWrites(client, input);
  const audit: AuditInput[] = [deliveryReceivedRecord(input, deliveryId, fresh, result.deduplicated)];

  for (const { alert, outcomes } of fresh) {
    const ref = alertRefOf(alert);
    if (alert.status === 'resolved') {
      await pending.flush();
      // Wake the heals that wait on this alert: verification or a pending approval can conclude now.
      const resolved = await client.query<{ heal_id: string; policy: string; target_key: string }>(
        `WITH r AS (
           UPDATE heal_alerts SET resolved_at = $1
            WHERE fingerprint = $2 AND starts_at = $3 AND resolved_at IS NULL
           RETURNING heal_id
         ), woken AS (
           UPDATE heals SET next_run_at = $1 WHERE id IN (SELECT heal_id FROM r) AND next_run_at IS NOT NULL
         )
         SELECT r.heal_id, h.policy, h.target_key FROM r JOIN heals h ON h.id = r.heal_id ORDER BY h.id`,
        [at, alert.fingerprint, alert.startsAt],
      );
      for (const a of resolved.rows) {
        result.resolved += 1;
        const heal = { healId: a.heal_id, policy: a.policy, targetKey: a.target_key };
        audit.push(alertResolvedRecord(input, heal, ref, alert.endsAt));
      }
    }
    for (const outcome of outcomes) {
      if (outcome.outcome === 'refused') {
        result.refused += 1;
        audit.push(refusalRecord(input, outcome, ref));
        continue;
      }
      const key = pairKey(outcome.policy, outcome.targetKey);
      const existing = open.get(key);
      let healId = existing;
      if (!healId) {
        healId = newId('heal', new Date(at));
        pending.heal(healId, outcome, alertTrigger(input, ref));
        open.set(key, healId);
        result.opened.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
      } else if (![...result.opened, ...result.attached].some((h) => h.id === healId)) {
        result.attached.push({ id: healId, policy: outcome.policy, target: outcome.targetKey });
      }
      pending.attach(healId, ref);
      audit.push(healAlertRecord(input, healId, outcome, ref, existing !== undefined));
    }
  }
  await pending.flush();
  return { result, audit: audit.map((record) => ({ ...record, at: record.at ?? at })) };
}

/** New heals and attachments, written in two statements rather than one per alert. */
function createPendingWrites(client: pg.PoolClient, input: IngestInput) {
  const at = input.receivedAt;
  let heals: Array<{ id: string; match: Match; trigger: HealTrigger }> = [];
  let attachments: Array<{ healId: string; fingerprint: string; startsAt: string; alertname: string }> = [];
  return {
    heal(id: string, match: Match, trigger: HealTrigger) {
      heals.push({ id, match, trigger });
    },
    attach(healId: string, ref: { fingerprint: string; startsAt: string; alertname: string }) {
      attachments.push({ healId, ...ref });
    },
    /** Before a resolved alert is looked up, and at the end: the database must hold what came before. */
    async flush() {
      if (heals.length > 0) {
        await client.query(
          `INSERT INTO heals (id, policy, target_key, target, state, step, steps, dry_run, trigger, opened_at,
                              updated_at, phase, next_run_at)
           SELECT id, p, tk, t, 'pending', 0, s, $6::boolean, tr, $7::text, $7::text, 'guards', $7::text
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $8::text[])
               AS u(id, p, tk, t, s, tr)`,
          [
            heals.map((h) => h.id),
            heals.map((h) => h.match.policy),
            heals.map((h) => h.match.targetKey),
            heals.map((h) => JSON.stringify(h.match.target)),
            heals.map((h) => JSON.stringify(h.match.steps)),
            input.dryRun,
            at,
            heals.map((h) => JSON.stringify(h.trigger)),
          ],
        );
        heals = [];
      }
      if (attachments.length > 0) {
        await client.query(
          `INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
           SELECT h, f, s, n, $5::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(h, f, s, n)
           ON CONFLICT DO NOTHING`,
          [
            attachments.map((a) => a.healId),
            attachments.map((a) => a.fingerprint),
            attachments.map((a) => a.startsAt),
            attachments.map((a) => a.alertname),
            at,
          ],
        );
        attachments = [];
      }
    },
  };
}
