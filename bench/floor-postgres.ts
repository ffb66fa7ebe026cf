import Fastify from 'fastify';
import pg from 'pg';
import type { ServerUnderTest } from './bare-server.js';

/**
 * The floor on PostgreSQL: durable intake with nothing of salve's own, committed where salve's replicas commit.
 * The bare route's fastify and JSON parsing, then each delivery's row and one row per alert (identity, labels
 * and annotations as JSON text, the alerts' unique identity keyed as salve keys it, fingerprint first) written
 * by one statement per batch — its own transaction, one commit, fsync on the server — and 202 after the
 * commit. Like salve's ingest batcher, one batch at a time per process: what arrives while one commits goes in
 * the next. No authentication, validation, matching, locks, heals, audit chain or logging. Several processes
 * on one database are what several replicas would be if commits were all they did.
 */
const schema = `
  SELECT pg_advisory_lock(1);
  CREATE TABLE IF NOT EXISTS floor_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at text NOT NULL, receiver text NOT NULL, group_key text NOT NULL, status text NOT NULL);
  CREATE TABLE IF NOT EXISTS floor_alerts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint text NOT NULL, starts_at text COLLATE "C" NOT NULL, status text NOT NULL, ends_at text,
    labels text NOT NULL, annotations text NOT NULL, delivery_id bigint NOT NULL,
    UNIQUE (fingerprint, starts_at, status));
  SELECT pg_advisory_unlock(1);`;

// The batch's deliveries get their ids first, then their rows and their alerts' rows, in one statement.
const insert = {
  name: 'floor_insert',
  text: `WITH d AS MATERIALIZED (
      SELECT n, nextval(pg_get_serial_sequence('floor_deliveries', 'id')) AS id
        FROM generate_series(1, cardinality($1::text[])) AS n
    ), row AS (
      INSERT INTO floor_deliveries (id, received_at, receiver, group_key, status) OVERRIDING SYSTEM VALUE
      SELECT d.id, ($1::text[])[d.n], ($2::text[])[d.n], ($3::text[])[d.n], ($4::text[])[d.n] FROM d
    )
    INSERT INTO floor_alerts (fingerprint, starts_at, status, ends_at, labels, annotations, delivery_id)
    SELECT t.f, t.s, t.st, t.e, t.l, t.an, d.id
      FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[])
        AS t(f, s, st, e, l, an, n)
      JOIN d ON d.n = t.n
    ON CONFLICT (fingerprint, starts_at, status) DO NOTHING`,
};

type Delivery = { receivedAt: string; receiver: string; groupKey: string; status: string };
type Row = {
  fingerprint: string;
  startsAt: string;
  status: string;
  endsAt: string | null;
  labels: string;
  annotations: string;
};
type Body = {
  receiver?: string;
  groupKey?: string;
  status?: string;
  alerts?: Array<
    Partial<Record<'fingerprint' | 'startsAt' | 'status' | 'endsAt', string>> & {
      labels?: unknown;
      annotations?: unknown;
    }
  >;
};
type Waiting = { delivery: Delivery; rows: Row[]; done: (err?: Error) => void };

/** `url`: an empty database on the server salve would use (the bench passes it as SALVE_STORE). */
export async function startFloorPostgres(url: string | undefined): Promise<ServerUnderTest> {
  if (!url) throw new Error('floor-postgres needs SALVE_STORE (a postgres:// URL)');
  const client = new pg.Client({ connectionString: url, application_name: 'salve-floor' });
  await client.connect();
  await client.query(schema);
  let queue: Waiting[] = [];
  let writing = false;

  async function write(batch: Waiting[]): Promise<void> {
    const rows = batch.flatMap((w, d) => w.rows.map((r) => ({ ...r, n: d + 1 })));
    const column = <T>(f: (w: Waiting) => T) => batch.map(f);
    await client.query({
      ...insert,
      values: [
        column((w) => w.delivery.receivedAt),
        column((w) => w.delivery.receiver),
        column((w) => w.delivery.groupKey),
        column((w) => w.delivery.status),
        rows.map((r) => r.fingerprint),
        rows.map((r) => r.startsAt),
        rows.map((r) => r.status),
        rows.map((r) => r.endsAt),
        rows.map((r) => r.labels),
        rows.map((r) => r.annotations),
        rows.map((r) => r.n),
      ],
    });
  }

  function next(): void {
    if (writing || queue.length === 0) return;
    const batch = queue;
    queue = [];
    writing = true;
    write(batch)
      .then(
        () => {
          for (const w of batch) w.done();
        },
        (err: Error) => {
          for (const w of batch) w.done(err);
        },
      )
      .finally(() => {
        writing = false;
        next();
      });
  }

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, keepAliveTimeout: 75_000 });
  app.post('/v1/alertmanager', async (request, reply) => {
    const body = request.body as Body;
    const rows = (body.alerts ?? []).map((a) => ({
      fingerprint: a.fingerprint ?? '',
      startsAt: a.startsAt ?? '',
      status: a.status ?? '',
      endsAt: a.endsAt ?? null,
      labels: JSON.stringify(a.labels ?? {}),
      annotations: JSON.stringify(a.annotations ?? {}),
    }));
    const delivery = {
      receivedAt: new Date().toISOString(),
      receiver: body.receiver ?? '',
      groupKey: body.groupKey ?? '',
      status: body.status ?? '',
    };
    await new Promise<void>((resolve, reject) => {
      queue.push({ delivery, rows, done: (err) => (err ? reject(err) : resolve()) });
      // Whatever arrives in this turn goes out together, if no batch is being committed.
      if (queue.length === 1) setImmediate(next);
    });
    return reply.status(202).send({ status: 'accepted', alerts: { received: rows.length } });
  });
  return { app, close: () => client.end() };
}
