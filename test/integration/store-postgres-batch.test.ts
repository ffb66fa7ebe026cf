// The PostgreSQL ingest batch (src/store/postgres/ingest-batch.ts): deliveries issued in one turn share one
// transaction, written with a statement per kind for the whole batch (deliveries, open heals, heals and
// attachments), with statements prepared once per connection. It must mean what SQLite's delivery-by-delivery
// write means, and keep working when the server restarts or another replica's migration adds a column.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { IngestInput, IngestResult, Store } from '../../src/store/types.js';
import { fakeClock } from '../support/fake-clock.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { alertOf, auditNote, delivery, matchFor, T, testAuditKey } from '../support/store-contract.js';
import { waitFor } from '../support/wait.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const firing = (fingerprint: string, deployment: string) => ({
  alert: alertOf({ alertname: 'X', deployment, pod: fingerprint }, { fingerprint }),
  outcomes: [matchFor(deployment)],
});
const resolved = (fingerprint: string, deployment: string) => ({
  alert: alertOf(
    { alertname: 'X', deployment, pod: fingerprint },
    { fingerprint, status: 'resolved', endsAt: '2026-11-27T03:05:00.000Z' },
  ),
  outcomes: [],
});

/** Before the batch: a heal open for `scorer`. */
const before = delivery([firing('fp-pre', 'scorer')], T(0));

/** One batch whose deliveries depend on each other, in order. */
const batch: IngestInput[] = [
  // Opens a heal for ranker.
  delivery([firing('fp-a', 'ranker')], T(1)),
  // fp-a again (a duplicate), fp-b joins the heal the delivery before opened, in this same transaction.
  delivery([firing('fp-a', 'ranker'), firing('fp-b', 'ranker')], T(2)),
  // Joins the heal opened before the batch; the same alert twice in one delivery counts once.
  delivery([firing('fp-c', 'scorer'), firing('fp-c', 'scorer')], T(3)),
  // Resolves fp-a, attached in this transaction: its attachment must be written before it is looked up.
  delivery([resolved('fp-a', 'ranker')], T(4)),
  // Matches nothing; then a new target twice in one delivery: one heal.
  delivery([{ alert: alertOf({ alertname: 'Y' }, { fingerprint: 'fp-none' }), outcomes: [] }], T(5)),
  delivery([firing('fp-d', 'feature-sync'), firing('fp-e', 'feature-sync')], T(6)),
];
// The very same delivery object once more, in the same turn: a re-delivery.
batch.push(batch.at(-1)!);

/** What a store made of the batch, with heal ids replaced by their targets (ids are random). */
async function outcome(store: Store, results: IngestResult[]) {
  const heals = await store.listHeals({ limit: 100 });
  const targetOf = new Map(heals.map((h) => [h.id, h.targetKey]));
  const attachments = await Promise.all(
    heals.map(async (h) => ({
      target: h.targetKey,
      alerts: (await store.healAlerts(h.id))
        .map((a) => `${a.fingerprint}${a.resolvedAt ? ' resolved' : ''}`)
        .sort(),
    })),
  );
  const audit = await store.queryAudit({ limit: 1000 });
  return {
    results: results.map(({ deliveryId: _, opened, attached, ...r }) => ({
      ...r,
      opened: opened.map((h) => targetOf.get(h.id)),
      attached: attached.map((h) => targetOf.get(h.id)),
    })),
    attachments: attachments.sort((a, b) => a.target.localeCompare(b.target)),
    audit: audit.map((r) => [r.type, r.target, r.healId === null ? null : targetOf.get(r.healId)]),
    verified: (await store.verifyAudit()).ok,
  };
}

async function ingestAsOneBatch(store: Store, deliveries = batch) {
  await store.ingest(before);
  // Issued in one turn: the PostgreSQL store writes them in one transaction.
  return outcome(store, await Promise.all(deliveries.map((d) => store.ingest(d))));
}

/** A PostgreSQL store and a SQLite store, both migrated; `run` gets both, then both are closed. */
async function onBothStores(run: (postgres: Store, sqlite: Store) => Promise<void>) {
  const postgres = openPostgresStore({
    url: await server.createDatabase(),
    clock: fakeClock(),
    auditKey: testAuditKey,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-batch-'));
  const sqlite = openSqliteStore({
    file: path.join(dir, 'salve.db'),
    clock: fakeClock(),
    auditKey: testAuditKey,
  });
  try {
    await Promise.all([postgres.migrate(), sqlite.migrate()]);
    await run(postgres, sqlite);
  } finally {
    await Promise.all([postgres.close(), sqlite.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('PostgreSQL ingest batches', () => {
  it('deliveries written as one batch mean what they mean one after another on SQLite', async () => {
    await onBothStores(async (postgres, sqlite) => {
      const onPostgres = await ingestAsOneBatch(postgres);
      expect(onPostgres).toEqual(await ingestAsOneBatch(sqlite));
      // And what that is, spelled out.
      expect(
        onPostgres.results.map((r) => [r.new, r.deduplicated, r.opened, r.attached, r.resolved]),
      ).toEqual([
        [1, 0, ['Deployment/ml-prod/ranker'], [], 0],
        [1, 1, [], ['Deployment/ml-prod/ranker'], 0],
        [1, 1, [], ['Deployment/ml-prod/scorer'], 0],
        [1, 0, [], [], 1],
        [1, 0, [], [], 0],
        [2, 0, ['Deployment/ml-prod/feature-sync'], [], 0],
        [0, 2, [], [], 0],
      ]);
      expect(onPostgres.attachments).toEqual([
        { target: 'Deployment/ml-prod/feature-sync', alerts: ['fp-d', 'fp-e'] },
        { target: 'Deployment/ml-prod/ranker', alerts: ['fp-a resolved', 'fp-b'] },
        { target: 'Deployment/ml-prod/scorer', alerts: ['fp-c', 'fp-pre'] },
      ]);
      expect(onPostgres.verified).toBe(true);
    });
  });

  it('hostile labels and annotations in one batch are read back as written, each with its own alert', async () => {
    const texts = [
      'line\nbreak',
      'quote " and \\ backslash',
      '\u2028\u2029 separators',
      'ünïcødé 🚨',
      '',
      '{,}NULL',
    ];
    const deliveries = texts.map((text, i) =>
      delivery(
        [
          {
            alert: alertOf(
              { alertname: 'X', [`k${i}\n"`]: text },
              { fingerprint: `fp-h${i}`, annotations: { summary: text, description: `${text}\r\t` } },
            ),
            outcomes: [],
          },
        ],
        T(i),
      ),
    );
    await onBothStores(async (postgres) => {
      await Promise.all(deliveries.map((d) => postgres.ingest(d)));
      const stored = await postgres.listAlerts({ limit: 100 });
      expect(stored.map((a) => [a.fingerprint, a.labels, a.annotations])).toEqual(
        deliveries.map((d) => {
          const { alert } = d.alerts[0]!;
          return [alert.fingerprint, alert.labels, alert.annotations];
        }),
      );
    });
  });

  it('hostile audit data, appended together, reads back as written on both stores, with the same seals', async () => {
    // The records' data go to PostgreSQL as one text, a JSON document a line: text with line breaks, quotes,
    // backslashes, separators and array syntax must come back as it went, each in its own record.
    const texts = [
      'line\nbreak\r\n',
      'quote " and \\ backslash',
      '\u2028\u2029',
      '',
      '{,}NULL',
      'NULL',
      '\\n',
    ];
    const records = texts.map((text, i) => ({
      type: 'test.note',
      actor: `actor "${i}"\n`,
      healId: null,
      policy: text,
      target: null,
      outcome: 'ok',
      data: { text, nested: { [text]: [text, i] } },
    }));
    const receiver = 'receiver "with"\nline \\ break';
    await onBothStores(async (postgres, sqlite) => {
      const seals = [];
      for (const store of [postgres, sqlite]) {
        await store.appendAudit(records);
        // And a batch's records: the delivery's receiver and group key are in its delivery.received data.
        await Promise.all(
          ['a', 'b'].map((fp, i) => {
            const d = delivery([firing(`fp-${fp}`, 'ranker')], T(i));
            return store.ingest({
              ...d,
              delivery: { ...d.delivery, receiver, groupKey: `{}:{x="${fp}\n"}` },
            });
          }),
        );
        const stored = await store.queryAudit({ limit: 100 });
        expect(stored.slice(0, texts.length).map((r) => [r.actor, r.policy, r.data])).toEqual(
          records.map((r) => [r.actor, r.policy, r.data]),
        );
        expect(stored.filter((r) => r.type === 'delivery.received').map((r) => r.data)).toMatchObject([
          { receiver, groupKey: '{}:{x="a\n"}' },
          { receiver, groupKey: '{}:{x="b\n"}' },
        ]);
        expect(await store.verifyAudit()).toMatchObject({ ok: true });
        seals.push(stored.slice(0, texts.length).map((r) => r.hash));
      }
      expect(seals[0]).toEqual(seals[1]);
    });
  });

  it('a batch with more alerts than it may lock one by one, on a few targets, means the same too', async () => {
    // 40 deliveries of 10 alerts on 4 targets: 400 alert keys, more than a batch locks one by one, so the
    // batch runs alone under the exclusive ingest lock, holding its 4 targets' locks.
    const targets = ['scorer', 'ranker', 'feature-sync', 'feature-builder'];
    const big = Array.from({ length: 40 }, (_, d) =>
      delivery(
        Array.from({ length: 10 }, (_, i) => firing(`fp-${d}-${i}`, targets[d % 4]!)),
        T(10 + d),
      ),
    );
    await onBothStores(async (postgres, sqlite) => {
      const onPostgres = await ingestAsOneBatch(postgres, big);
      expect(onPostgres).toEqual(await ingestAsOneBatch(sqlite, big));
      expect(onPostgres.results.filter((r) => r.opened.length > 0)).toHaveLength(3);
      expect(onPostgres.attachments.map((a) => a.alerts.length)).toEqual([100, 100, 100, 101]);
    });
  });

  it('a column another replica’s migration adds does not break the statements a live connection prepared', async () => {
    const url = await server.createDatabase();
    // One connection: the statements below run where the first ones were prepared.
    const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey, poolSize: 1 });
    try {
      await store.migrate();
      await store.ingest(delivery([firing('fp-1', 'scorer')], T(1)));
      await server.query(url, 'ALTER TABLE heals ADD COLUMN later_column text');
      await server.query(url, 'ALTER TABLE audit ADD COLUMN later_column text');
      await server.query(url, 'ALTER TABLE alerts ADD COLUMN later_column text');
      const [joined, opened] = await Promise.all([
        store.ingest(delivery([firing('fp-2', 'scorer')], T(2))),
        store.ingest(delivery([firing('fp-3', 'ranker')], T(3))),
      ]);
      expect(joined!.attached).toHaveLength(1);
      expect(opened!.opened).toHaveLength(1);
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await store.close();
    }
  });
});

/**
 * Counts the round trips to PostgreSQL: each ends with one Sync (extended protocol: a statement, or a pipeline
 * of them) or is one simple-protocol Query message. Patched on node-postgres's Connection for every client.
 */
function countRoundTrips() {
  const Connection = createRequire(import.meta.url)('pg/lib/connection.js') as {
    prototype: Record<'sync' | 'query', (...a: unknown[]) => unknown>;
  };
  const { sync, query } = Connection.prototype;
  const counted = { roundTrips: 0 };
  Connection.prototype.sync = function (this: unknown, ...a: unknown[]) {
    counted.roundTrips += 1;
    return sync.apply(this, a);
  };
  Connection.prototype.query = function (this: unknown, ...a: unknown[]) {
    counted.roundTrips += 1;
    return query.apply(this, a);
  };
  return {
    counted,
    restore() {
      Connection.prototype.sync = sync;
      Connection.prototype.query = query;
    },
  };
}

/** A store on a database of its own with one connection, so that every round trip is counted in order. */
const openOneConnectionStore = async () =>
  openPostgresStore({
    url: await server.createDatabase(),
    clock: fakeClock(),
    auditKey: testAuditKey,
    poolSize: 1,
  });

describe('PostgreSQL ingest batch round trips', () => {
  it('a batch of new alerts takes three round trips, one more per resolved alert; a re-sent one two', async () => {
    const store = await openOneConnectionStore();
    const counter = countRoundTrips();
    /** The round trips one batch of `deliveries`, issued in one turn, took. */
    const roundTrips = async (deliveries: IngestInput[]) => {
      counter.counted.roundTrips = 0;
      const results = await Promise.all(deliveries.map((d) => store.ingest(d)));
      return { results, roundTrips: counter.counted.roundTrips };
    };
    try {
      await store.migrate();
      await store.ingest(before);
      const deferred = {
        alert: alertOf({ alertname: 'X', pod: 'scorer-6d4f-abcde' }, { fingerprint: 'fp-deferred' }),
        outcomes: [
          {
            outcome: 'deferred' as const,
            policy: 'scorer-error-rate',
            subject: { kind: 'Pod' as const, namespace: 'ml-prod', name: 'scorer-6d4f-abcde' },
            detail: 'the Kubernetes API did not answer',
          },
        ],
      };
      const refused = {
        alert: alertOf({ alertname: 'X' }, { fingerprint: 'fp-refused' }),
        outcomes: [
          {
            outcome: 'refused' as const,
            policy: 'scorer-error-rate',
            reason: 'not_allowed' as const,
            detail: 'no',
          },
        ],
      };
      const fresh = [
        // Attaches to the heal open before; opens one; joins it; kept for later; refused; matches nothing.
        delivery([firing('fp-1', 'scorer')], T(1)),
        delivery([firing('fp-2', 'ranker'), firing('fp-3', 'ranker')], T(2)),
        delivery([firing('fp-4', 'ranker'), deferred, refused], T(3)),
        delivery([{ alert: alertOf({ alertname: 'Y' }, { fingerprint: 'fp-none' }), outcomes: [] }], T(4)),
      ];
      const first = await roundTrips(fresh);
      expect(
        first.results.map((r) => [r.new, r.opened.length, r.attached.length, r.refused, r.deferred]),
      ).toEqual([
        [1, 0, 1, 0, 0],
        [2, 1, 0, 0, 0],
        [3, 0, 1, 1, 1],
        [1, 0, 0, 0, 0],
      ]);
      expect(first.roundTrips).toBe(3);
      // The same deliveries again: nothing new, nothing to audit: the insert, then the commit.
      expect((await roundTrips(fresh)).roundTrips).toBe(2);
      // Two resolved alerts: each looks up (and resolves) its attachments, one round trip each.
      const resolving = await roundTrips([
        delivery([resolved('fp-1', 'scorer'), firing('fp-5', 'scorer')], T(5)),
        delivery([resolved('fp-2', 'ranker')], T(6)),
      ]);
      expect(resolving.results.map((r) => [r.new, r.resolved, r.attached.length])).toEqual([
        [2, 1, 1],
        [1, 1, 0],
      ]);
      expect(resolving.roundTrips).toBe(5);
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      counter.restore();
      await store.close();
    }
  });
});

describe('PostgreSQL write transaction round trips', () => {
  it('BEGIN goes with the first statement: an audit append is the lock and head, the insert, the commit', async () => {
    const store = await openOneConnectionStore();
    const counter = countRoundTrips();
    try {
      await store.migrate();
      const note = (n: number) => auditNote({ n }, { policy: 'p', outcome: 'ok' });
      await store.appendAudit([note(1)]);
      counter.counted.roundTrips = 0;
      await store.appendAudit([note(2), note(3)]);
      expect(counter.counted.roundTrips).toBe(3);
      expect(await store.verifyAudit()).toMatchObject({ ok: true, records: 3 });
    } finally {
      counter.restore();
      await store.close();
    }
  });
});

describe('PostgreSQL ingest across a server restart', () => {
  let own: TestPostgres;
  beforeAll(async () => {
    own = await startTestPostgres();
  });
  afterAll(async () => {
    await own?.stop();
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`statements prepared before ${mode === 'fast' ? 'a fast' : 'an immediate'} restart are prepared again on the new connections`, async () => {
      const url = await own.createDatabase();
      const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey, poolSize: 2 });
      try {
        await store.migrate();
        await Promise.all([
          store.ingest(delivery([firing('fp-1', 'scorer')], T(1))),
          store.ingest(delivery([firing('fp-2', 'ranker')], T(2))),
        ]);
        await own.restart(mode);
        // The pooled connections died with the server: a delivery may be answered 503 until they are replaced.
        const first = await waitFor(
          'a delivery committed after the restart',
          () => store.ingest(delivery([firing('fp-3', 'scorer')], T(3))),
          () => true,
        );
        expect(first.attached).toHaveLength(1);
        const [again, fresh, resolving] = await Promise.all([
          store.ingest(delivery([firing('fp-4', 'scorer')], T(4))),
          store.ingest(delivery([firing('fp-5', 'feature-sync')], T(5))),
          store.ingest(delivery([resolved('fp-2', 'ranker')], T(6))),
        ]);
        expect(again!.attached).toHaveLength(1);
        expect(fresh!.opened).toHaveLength(1);
        expect(resolving!.resolved).toBe(1);
        expect(await store.verifyAudit()).toMatchObject({ ok: true });
      } finally {
        await store.close();
      }
    });
  }
});
