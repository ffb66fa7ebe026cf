import type pg from 'pg';
import { type AlertStatus, alertIdentity } from '../../alerts/schema.js';
import type { StoreStatements } from '../port.js';
import type { IngestAlert } from '../types.js';

type IngestStatements = Pick<
  StoreStatements,
  'insertDelivery' | 'insertAlerts' | 'setNewCount' | 'resolveAttachments' | 'attachAlerts'
>;

/** The statements of a webhook delivery's write (src/store/programs/ingest.ts decides what they write). */
export function pgIngestStatements(client: pg.PoolClient): IngestStatements {
  return {
    async insertDelivery(input) {
      const { delivery } = input;
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO deliveries (received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id`,
        [
          input.receivedAt,
          delivery.receiver,
          delivery.groupKey,
          delivery.externalURL,
          delivery.status,
          input.alerts.length,
          delivery.truncatedAlerts,
        ],
      );
      return Number(rows[0]!.id);
    },

    async insertAlerts(input, deliveryId): Promise<IngestAlert[]> {
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
        rows.map((r) =>
          alertIdentity({ fingerprint: r.fingerprint, startsAt: r.starts_at, status: r.status }),
        ),
      );
      // The same alert twice in one delivery: the first one is new, the second a duplicate (as in SQLite).
      return input.alerts.filter(({ alert }) => inserted.delete(alertIdentity(alert)));
    },

    async setNewCount(deliveryId, count) {
      await client.query('UPDATE deliveries SET new_count = $1 WHERE id = $2', [count, deliveryId]);
    },

    async resolveAttachments(alert, at) {
      const { rows } = await client.query<{ healId: string; policy: string; targetKey: string }>(
        `WITH r AS (
           UPDATE heal_alerts SET resolved_at = $1
            WHERE fingerprint = $2 AND starts_at = $3 AND resolved_at IS NULL
           RETURNING heal_id
         ), woken AS (
           UPDATE heals SET next_run_at = $1 WHERE id IN (SELECT heal_id FROM r) AND next_run_at IS NOT NULL
         )
         SELECT r.heal_id AS "healId", h.policy, h.target_key AS "targetKey"
           FROM r JOIN heals h ON h.id = r.heal_id ORDER BY h.id`,
        [at, alert.fingerprint, alert.startsAt],
      );
      return rows;
    },

    async attachAlerts(attachments, at) {
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
    },
  };
}
