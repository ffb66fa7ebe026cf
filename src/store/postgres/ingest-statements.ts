import type pg from 'pg';
import { alertIdentity } from '../../alerts/identity.js';
import type { AlertStatus } from '../../alerts/schema.js';
import type { InsertedDelivery, StoreStatements } from '../port.js';
import type { IngestInput } from '../types.js';
import { prepared } from './db.js';

type IngestStatements = Pick<StoreStatements, 'insertDelivery' | 'resolveAttachments' | 'attachAlerts'>;

// One round trip for any number of deliveries: their ids first, in order, then their alerts by identity, then
// their rows with the count of new ones (the alerts' foreign key is checked at the end of the statement, when
// the rows are there). An alert brought twice is inserted, and counted new, for the first delivery only.
// Labels and annotations, the long texts, go as one text each, their JSON documents one a line: JSON.stringify
// writes no line break (it escapes control characters), and an array literal would escape every quote in them
// on salve's side and unescape it on the server's.
const insertDeliveriesSql = prepared(
  `WITH d AS MATERIALIZED (
     SELECT n, nextval(pg_get_serial_sequence('deliveries', 'id')) AS id
       FROM generate_series(1, cardinality($9::text[])) AS n
   ),
   a AS (
     INSERT INTO alerts
       (fingerprint, starts_at, status, ends_at, labels, annotations, generator_url, delivery_id, received_at)
     SELECT t.f, t.s, t.st, t.e, t.l, t.an, t.g, d.id, $9[t.n]
       FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]),
                       unnest(string_to_array($5, E'\n')), unnest(string_to_array($6, E'\n')),
                       unnest($7::text[]), unnest($8::int[]))
         WITH ORDINALITY AS t(f, s, st, e, l, an, g, n, o)
       JOIN d ON d.n = t.n
      ORDER BY t.o
     ON CONFLICT (fingerprint, starts_at, status) DO NOTHING
     RETURNING delivery_id, fingerprint, starts_at, status
   ),
   row AS (
     INSERT INTO deliveries
       (id, received_at, receiver, group_key, external_url, status, alert_count, new_count, truncated)
     OVERRIDING SYSTEM VALUE
     SELECT d.id, $9[d.n], ($10::text[])[d.n], ($11::text[])[d.n], ($12::text[])[d.n], ($13::text[])[d.n],
            ($14::int[])[d.n], coalesce(c.new_count, 0), ($15::int[])[d.n]
       FROM d LEFT JOIN (SELECT delivery_id, count(*) AS new_count FROM a GROUP BY delivery_id) c
         ON c.delivery_id = d.id
   )
   SELECT (SELECT json_agg(id ORDER BY n) FROM d) AS ids,
          (SELECT coalesce(json_agg(json_build_array(delivery_id, fingerprint, starts_at, status)), '[]')
             FROM a) AS fresh`,
);

type InsertedRow = { ids: number[]; fresh: Array<[number, string, string, AlertStatus]> };

/**
 * The statement that inserts deliveries, in the order given, with their alerts, and how to read its answer:
 * what `insertDelivery` answers for each. A batch's deliveries go in one statement; the alert of two of them is
 * new for the first.
 */
export function deliveriesInsert(inputs: readonly IngestInput[]): {
  statement: pg.QueryConfig;
  answer(result: pg.QueryResult): InsertedDelivery[];
} {
  // Sorted by identity (then delivery): concurrent batches take the unique-index entries in the same order.
  const alerts = inputs
    .flatMap((input, d) => input.alerts.map(({ alert }) => ({ alert, d, identity: alertIdentity(alert) })))
    .sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : a.d - b.d));
  const column = <T>(f: (a: (typeof alerts)[number]['alert']) => T) => alerts.map((a) => f(a.alert));
  const statement = insertDeliveriesSql([
    column((a) => a.fingerprint),
    column((a) => a.startsAt),
    column((a) => a.status),
    column((a) => a.endsAt),
    column((a) => JSON.stringify(a.labels)).join('\n'),
    column((a) => JSON.stringify(a.annotations)).join('\n'),
    column((a) => a.generatorURL),
    alerts.map((a) => a.d + 1),
    inputs.map((i) => i.receivedAt),
    inputs.map((i) => i.delivery.receiver),
    inputs.map((i) => i.delivery.groupKey),
    inputs.map((i) => i.delivery.externalURL),
    inputs.map((i) => i.delivery.status),
    inputs.map((i) => i.alerts.length),
    inputs.map((i) => i.delivery.truncatedAlerts),
  ]);
  return {
    statement,
    answer(result) {
      const { ids, fresh } = result.rows[0] as InsertedRow;
      const inserted = new Map(ids.map((id) => [Number(id), new Set<string>()]));
      for (const [deliveryId, fingerprint, startsAt, status] of fresh)
        inserted.get(Number(deliveryId))?.add(alertIdentity({ fingerprint, startsAt, status }));
      return inputs.map((input, d) => {
        const deliveryId = Number(ids[d]);
        const mine = inserted.get(deliveryId)!;
        // The same alert twice in one delivery: the first one is new, the second a duplicate (as in SQLite).
        return { deliveryId, fresh: input.alerts.filter(({ alert }) => mine.delete(alertIdentity(alert))) };
      });
    },
  };
}

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
      const insert = deliveriesInsert([input]);
      return insert.answer(await client.query(insert.statement))[0]!;
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
