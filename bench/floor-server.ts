import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import type { ServerUnderTest } from './bare-server.js';

/**
 * The floor: durable intake with nothing of salve's own. The same fastify route and JSON parsing as the bare
 * baseline, then each delivery's row and one row per alert (identity, labels and annotations as JSON text,
 * `INSERT OR IGNORE` on the identity, as salve's `alerts`) committed by a thread that owns a SQLite connection
 * (WAL, synchronous=FULL, as salve) — everything that arrived in one turn in one transaction — and 202 after
 * the commit. No authentication, validation, matching, heals, audit chain or logging: what any durable
 * implementation pays on this machine for these deliveries, measured in the same run as salve.
 *
 * Like salve, it remembers the identities it committed (an in-memory set, added to after the commit): a
 * delivery whose alerts are all known is answered 202 at once, with no write. That is the floor of the
 * re-delivery scenario; a delivery of new alerts pays one set lookup per alert for it, as salve does.
 */
const writer = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(
  'CREATE TABLE IF NOT EXISTS deliveries (id INTEGER PRIMARY KEY, received_at TEXT, receiver TEXT, group_key TEXT, status TEXT);' +
  'CREATE TABLE IF NOT EXISTS alerts (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, starts_at TEXT NOT NULL,' +
  ' status TEXT NOT NULL, ends_at TEXT, labels TEXT NOT NULL, annotations TEXT NOT NULL, delivery_id INTEGER NOT NULL,' +
  (workerData.key === 'start' ? ' UNIQUE (starts_at, fingerprint, status));' : ' UNIQUE (fingerprint, starts_at, status));'),
);
const insertDelivery = db.prepare('INSERT INTO deliveries (received_at, receiver, group_key, status) VALUES (?, ?, ?, ?)');
// One multi-row statement per delivery (prepared once per row count), as salve's own writer does.
const inserts = new Map();
const insertAlerts = (rows) => {
  let statement = inserts.get(rows);
  if (statement === undefined) {
    statement = db.prepare(
      'INSERT OR IGNORE INTO alerts (fingerprint, starts_at, status, ends_at, labels, annotations, delivery_id) VALUES ' +
        Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', '),
    );
    inserts.set(rows, statement);
  }
  return statement;
};
const commit = db.transaction((deliveries) => {
  for (const d of deliveries) {
    const id = insertDelivery.run(d[0], d[1], d[2], d[3]).lastInsertRowid;
    if (d[4].length === 0) continue;
    const values = [];
    for (const a of d[4]) values.push(a[0], a[1], a[2], a[3], a[4], a[5], id);
    insertAlerts(d[4].length).run(values);
  }
});
parentPort.on('message', (batch) => {
  commit(batch.deliveries);
  parentPort.postMessage(batch.ids);
});
`;

type Alert = {
  fingerprint?: string;
  startsAt?: string;
  status?: string;
  endsAt?: string;
  labels?: unknown;
  annotations?: unknown;
};
type Body = { receiver?: string; groupKey?: string; status?: string; alerts?: Alert[] };

/**
 * `key`: the alerts' identity index as salve keeps it, the fingerprint (a hash) first, so each new alert lands
 * on a random page of it; or the start time first, so a storm's new alerts land on the same few pages.
 */
export async function startFloor(dir: string, key: 'fingerprint' | 'start'): Promise<ServerUnderTest> {
  // better-sqlite3 resolves from this project, as salve's own writer thread does.
  const worker = new Worker(
    `(function (require) {\n${writer}\n})(require('node:module').createRequire(${JSON.stringify(fileURLToPath(import.meta.url))}));`,
    { eval: true, workerData: { file: path.join(dir, 'floor.db'), key } },
  );
  const waiting = new Map<number, () => void>();
  // The identities committed so far, as salve keys them (fingerprint, start, status). Unbounded: a run adds
  // at most a few hundred thousand.
  const committed = new Set<string>();
  let queue: unknown[][] = [];
  let ids: number[] = [];
  let next = 1;
  worker.on('message', (answered: number[]) => {
    for (const id of answered) {
      waiting.get(id)?.();
      waiting.delete(id);
    }
  });
  const flush = () => {
    const batch = { ids, deliveries: queue };
    queue = [];
    ids = [];
    worker.postMessage(batch);
  };
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, keepAliveTimeout: 75_000 });
  app.post('/v1/alertmanager', async (request, reply) => {
    const body = request.body as Body;
    const received = body.alerts ?? [];
    const keys = received.map((a) => `${a.fingerprint}/${a.startsAt}/${a.status}`);
    if (keys.every((k) => committed.has(k)))
      return reply.status(202).send({ status: 'accepted', alerts: { received: keys.length } });
    const alerts = received.map((a) => [
      a.fingerprint,
      a.startsAt,
      a.status,
      a.endsAt ?? null,
      JSON.stringify(a.labels ?? {}),
      JSON.stringify(a.annotations ?? {}),
    ]);
    const id = next++;
    await new Promise<void>((resolve) => {
      waiting.set(id, resolve);
      if (queue.length === 0) setImmediate(flush);
      queue.push([
        new Date().toISOString(),
        body.receiver ?? '',
        body.groupKey ?? '',
        body.status ?? '',
        alerts,
      ]);
      ids.push(id);
    });
    for (const k of keys) committed.add(k);
    return reply.status(202).send({ status: 'accepted', alerts: { received: alerts.length } });
  });
  return { app, close: () => worker.terminate().then(() => undefined) };
}
