import type pg from 'pg';
import { alertIdentity } from '../../alerts/identity.js';
import type { AlertStatus } from '../../alerts/schema.js';
import type { StoreStatements } from '../port.js';
import { prepared } from './db.js';

type IngestStatements = Pick<StoreStatements, 'insertDelivery' | 'resolveAttachments' | 'attachAlerts'>;

// One round trip: the delivery's id first, its alerts by identity, then its row with the count of new ones (the
// alerts' foreign key is checked at the end of the statement, when the row is there).
const insertDeliverySql = prepared(
  `WITH d AS MATERIALIZED (SELECT nextval(pg_get_serial_sequence('deliveries', 'id')) AS id),
       a AS (
         INSERT INTO alerts
           (fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id, received_at)
         SELECT f, s, st, e, l, an, g, (SELECT id FROM d), $8::text
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
             AS t(f, s, st, e, l, an, g)
         ON CONFLICT (fingerprint, starts_at, status) DO NOTHING
         RETURNING fingerprint, starts_at, status
       ),
       row AS (
         INSERT INTO deliveries
           (id, received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
         OVERRIDING SYSTEM VALUE
         SELECT id, $8::text, $9, $10, $11, $12, $13, (SELECT count(*) FROM a), $14 FROM d
       )
       SELECT (SELECT id FROM d) AS id,
              (SELECT coalesce(json_agg(json_build_array(fingerprint, starts_at, status)), '[]') FROM a) AS fresh`,
);

const resolveAttachmentsSql = prepared(
  `WITH r AS (
         UPDATE heal_alerts SET resolved_at = $1
          WHERE fingerprint = $2 AND starts_at = $3 AND resolved_at IS NULL
         RETURNING heal_id
       ), woken AS (
         UPDATE heals SET next_run_at = $1 WHERE id IN (SELECT heal_id FROM r) AND next_run_at IS NOT NULL
       )
       SELECT r.heal_id AS "healId", h.policy, h.target_key AS "targetKey"
         FROM r JOIN heals h ON h.id = r.heal_id ORDER BY h.id`,
);

const attachAlertsSql = prepared(
  `INSERT INTO heal_alerts (heal_id, fingerprint, starts_at, alertname, attached_at)
       SELECT h, f, s, n, $5::text FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(h, f, s, n)
       ON CONFLICT DO NOTHING`,
);

/** The statements of a webhook delivery's write (src/store/programs/ingest.ts decides what they write). */
export function pgIngestStatements(client: pg.PoolClient): IngestStatements {
  return {
    async insertDelivery(input) {
      const { delivery } = input;
      // Sorted by identity: concurrent deliveries of one group take the unique-index entries in the same order.
      const alerts = input.alerts
        .map(({ alert }) => ({ alert, identity: alertIdentity(alert) }))
        .sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0))
        .map((a) => a.alert);
      const { rows } = await client.query<{ id: string; fresh: Array<[string, string, AlertStatus]> }>(
        insertDeliverySql([
          alerts.map((a) => a.fingerprint),
          alerts.map((a) => a.startsAt),
          alerts.map((a) => a.status),
          alerts.map((a) => a.endsAt),
          alerts.map((a) => JSON.stringify(a.labels)),
          alerts.map((a) => JSON.stringify(a.annotations)),
          alerts.map((a) => a.generatorURL),
          input.receivedAt,
          delivery.receiver,
          delivery.groupKey,
          delivery.externalURL,
          delivery.status,
          input.alerts.length,
          delivery.truncatedAlerts,
        ]),
      );
      const inserted = new Set(
        rows[0]!.fresh.map(([fingerprint, startsAt, status]) =>
          alertIdentity({ fingerprint, startsAt, status }),
        ),
      );
      // The same alert twice in one delivery: the first one is new, the second a duplicate (as in SQLite).
      const fresh = input.alerts.filter(({ alert }) => inserted.delete(alertIdentity(alert)));
      return { deliveryId: Number(rows[0]!.id), fresh };
    },

    async resolveAttachments(alert, at) {
      const { rows } = await client.query<{ healId: string; policy: string; targetKey: string }>(
        resolveAttachmentsSql([at, alert.fingerprint, alert.startsAt]),
      );
      return rows;
    },

    async attachAlerts(attachments, at) {
      await client.query(
        attachAlertsSql([
          attachments.map((a) => a.healId),
          attachments.map((a) => a.fingerprint),
          attachments.map((a) => a.startsAt),
          attachments.map((a) => a.alertname),
          at,
        ]),
      );
    },
  };
}
