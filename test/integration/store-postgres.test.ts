import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import type { Store } from '../../src/store/types.js';
import { buildTestApp } from '../support/build-test-app.js';
import { fakeClock } from '../support/fake-clock.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import {
  alertOf,
  delivery,
  matchFor,
  runStoreContract,
  type StoreHarness,
  testAuditKey,
} from '../support/store-contract.js';
import { runEngineStoreContract } from '../support/store-contract-engine.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh database per test, behind one server per file. */
async function openHarness(): Promise<StoreHarness> {
  const url = await server.createDatabase();
  const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey });
  await store.migrate();
  return {
    store,
    tamperAuditData: async (seq, data) => {
      await server.query(url, 'UPDATE audit SET data = $1 WHERE seq = $2', [JSON.stringify(data), seq]);
    },
    deleteAuditRecord: async (seq) => {
      await server.query(url, 'DELETE FROM audit WHERE seq = $1', [seq]);
    },
    close: () => store.close(),
  };
}

runStoreContract('postgres', openHarness);
runEngineStoreContract('postgres', openHarness);

describe('PostgreSQL store shared by several replicas', () => {
  /** Several stores on one database, as several salve processes would have. */
  async function replicas(n: number): Promise<{ url: string; stores: Store[]; close(): Promise<void> }> {
    const url = await server.createDatabase();
    const stores = Array.from({ length: n }, () =>
      openPostgresStore({ url, clock: fakeClock(), poolSize: 4, auditKey: testAuditKey }),
    );
    await Promise.all(stores.map((s) => s.migrate()));
    return { url, stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
  }

  it('replicas migrating one empty database at the same moment apply each migration once', async () => {
    const r = await replicas(4);
    try {
      const rows = await server.query<{ version: number }>(
        r.url,
        'SELECT version FROM schema_migrations ORDER BY 1',
      );
      expect(rows.map((x) => x.version)).toEqual(postgresMigrations.map((m) => m.version));
    } finally {
      await r.close();
    }
  });

  it('heals written before migration 9 (and by replicas of that release) keep counting their marks from the index', async () => {
    const url = await server.createDatabase();
    await server.query(
      url,
      'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
    );
    for (const m of postgresMigrations.filter((x) => x.version <= 8)) {
      await server.query(url, m.sql);
      await server.query(url, 'INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, 'x']);
    }
    const legacyHeal = (id: string) =>
      server.query(
        url,
        `INSERT INTO heals (id, policy, target_key, target, state, phase, step, steps, dry_run, trigger,
                            opened_at, updated_at)
         VALUES ($1, 'p', $2, '{}', 'pending', 'guards', 0, '[]', false, '{}', 'x', 'x')`,
        [id, `Deployment/ns/${id}`],
      );
    await legacyHeal('heal_old');
    const store = openPostgresStore({ url, clock: fakeClock(), auditKey: testAuditKey });
    try {
      await store.migrate();
      await legacyHeal('heal_old_replica');
      const rows = await server.query<{ id: string; mark_base: number }>(
        url,
        'SELECT id, mark_base FROM heals ORDER BY id',
      );
      expect(rows).toEqual([
        { id: 'heal_old', mark_base: 0 },
        { id: 'heal_old_replica', mark_base: 0 },
      ]);
    } finally {
      await store.close();
    }
  });

  it('a database at a newer schema version than this salve knows is refused', async () => {
    const r = await replicas(1);
    try {
      await server.query(
        r.url,
        "INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01T00:00:00.000Z')",
      );
      await expect(r.stores[0]!.migrate()).rejects.toMatchObject({ code: 'SALVE_STORE_MIGRATION_FAILED' });
    } finally {
      await r.close();
    }
  });

  it('the same group delivered to two replicas at once is stored once and opens one heal per target', async () => {
    const r = await replicas(2);
    const [a, b] = r.stores as [Store, Store];
    try {
      const groups = Array.from({ length: 30 }, (_, i) =>
        ['p1', 'p2', 'p3'].map((pod) => ({
          alert: alertOf({ alertname: 'X', deployment: `d${i}`, pod }, { fingerprint: `fp-${i}-${pod}` }),
          outcomes: [matchFor(`d${i}`)],
        })),
      );
      // The peer gets the groups, and the alerts in each, in the opposite order: no deadlock, no 503.
      const [fromA, fromB] = await Promise.all([
        Promise.all(groups.map((alerts) => a.ingest(delivery(alerts)))),
        Promise.all([...groups].reverse().map((alerts) => b.ingest(delivery([...alerts].reverse())))),
      ]);
      fromB.reverse();
      for (const pair of fromA.map((x, i) => [x, fromB[i]!])) {
        expect(pair.map((x) => x.new).sort()).toEqual([0, 3]);
        expect(pair.flatMap((x) => x.opened)).toHaveLength(1);
      }
      expect(await a.countOpenHeals()).toMatchObject({ pending: 30 });
      expect((await b.listAlerts({ limit: 1000 })).length).toBe(90);
      expect(await b.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await r.close();
    }
  });

  it('a batch with more alerts than it may lock one by one runs alone; the smaller ones beside it agree', async () => {
    const r = await replicas(2);
    const [a, b] = r.stores as [Store, Store];
    try {
      const alerts = Array.from({ length: 300 }, (_, i) => ({
        alert: alertOf({ alertname: 'X', deployment: `d${i}` }, { fingerprint: `fp-big-${i}` }),
        outcomes: [matchFor(`d${i}`)],
      }));
      // 600 keys (300 alerts, 300 targets): the exclusive ingest lock. The peer sends the same alerts in
      // small groups, in the opposite order, each locking its own keys under the shared lock.
      const small = Array.from({ length: 30 }, (_, g) =>
        alerts.slice(g * 10, g * 10 + 10).reverse(),
      ).reverse();
      const [big, ...rest] = await Promise.all([
        a.ingest(delivery(alerts)),
        ...small.map((group) => b.ingest(delivery(group))),
      ]);
      expect(big!.new + rest.reduce((n, x) => n + x.new, 0)).toBe(300);
      expect(big!.opened.length + rest.reduce((n, x) => n + x.opened.length, 0)).toBe(300);
      expect(await a.countOpenHeals()).toMatchObject({ pending: 300 });
      expect(await b.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await r.close();
    }
  });

  it('deliveries of different alerts for one target on three replicas at once open exactly one heal', async () => {
    const r = await replicas(3);
    try {
      const results = await Promise.all(
        Array.from({ length: 45 }, (_, i) =>
          r.stores[i % 3]!.ingest(
            delivery([
              {
                alert: alertOf(
                  { alertname: 'X', deployment: 'scorer', pod: `p${i}` },
                  { fingerprint: `fp-${i}` },
                ),
                outcomes: [matchFor('scorer')],
              },
            ]),
          ),
        ),
      );
      const opened = results.flatMap((x) => x.opened);
      expect(opened).toHaveLength(1);
      expect(await r.stores[0]!.healAlerts(opened[0]!.id)).toHaveLength(45);
      expect(results.flatMap((x) => x.attached).every((h) => h.id === opened[0]!.id)).toBe(true);
    } finally {
      await r.close();
    }
  });

  it('audit records appended from three replicas at once form one unbroken chain', async () => {
    const r = await replicas(3);
    try {
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          r.stores[i % 3]!.appendAudit(
            [0, 1].map((k) => ({
              type: 'test.note',
              actor: `replica-${i % 3}`,
              healId: null,
              policy: null,
              target: null,
              outcome: null,
              data: { i, k },
            })),
          ),
        ),
      );
      const all = await r.stores[1]!.queryAudit({ limit: 1000 });
      expect(all.map((x) => x.seq)).toEqual(all.map((_, i) => i + 1));
      // The two records of one append stay next to each other: an append is one transaction.
      for (let i = 0; i < all.length; i += 2) expect(all[i]!.data.i).toBe(all[i + 1]!.data.i);
      expect(await r.stores[2]!.verifyAudit()).toMatchObject({
        ok: true,
        records: 120,
        headSeq: 120,
        head: all.at(-1)!.hash,
        keyedFrom: 1,
        problems: [],
      });
    } finally {
      await r.close();
    }
  });

  it('replicas claiming at the same moment lease disjoint sets of heals', async () => {
    const r = await replicas(3);
    try {
      for (let i = 0; i < 30; i++) {
        await r.stores[0]!.ingest(
          delivery([
            {
              alert: alertOf({ alertname: 'X', deployment: `d${i}` }, { fingerprint: `fp-${i}` }),
              outcomes: [matchFor(`d${i}`)],
            },
          ]),
        );
      }
      const now = '2026-11-27T03:00:01.000Z';
      const claims = await Promise.all(
        r.stores.map((s, i) =>
          s.claimDueHeals({ now, owner: `replica-${i}`, leaseUntil: '2026-11-27T03:00:31.000Z', limit: 30 }),
        ),
      );
      const ids = claims.flatMap((c) => c.map((h) => h.id));
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    } finally {
      await r.close();
    }
  });

  it('deliveries committed together stand when one of them cannot be stored; that one is refused as invalid', async () => {
    const r = await replicas(1);
    const store = r.stores[0]!;
    try {
      const one = (i: number, fingerprint = `fp-${i}`) =>
        delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: `d${i}` }, { fingerprint }),
            outcomes: [matchFor(`d${i}`)],
          },
        ]);
      // Issued in one turn: they share a transaction, each in its own savepoint.
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4].map((i) => store.ingest(i === 2 ? one(i, 'fp-\u0000') : one(i))),
      );
      expect(results.map((x) => x.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'SALVE_REQUEST_INVALID' });
      expect((await store.listAlerts({ limit: 10 })).map((a) => a.fingerprint)).toEqual([
        'fp-0',
        'fp-1',
        'fp-3',
        'fp-4',
      ]);
      expect(await store.countOpenHeals()).toMatchObject({ pending: 4 });
      expect(await store.verifyAudit()).toMatchObject({ ok: true, records: 8 });
    } finally {
      await r.close();
    }
  });

  it('a kept write that fails for one delivery, sent with the audit lock, rolls back the batch; the others commit', async () => {
    const r = await replicas(1);
    const store = r.stores[0]!;
    try {
      // The batch's kept writes (here a deferred match whose detail PostgreSQL cannot hold) go with the audit
      // lock and the chain's head, in its second round trip: the batch is written again delivery by delivery.
      const one = (i: number, detail = 'the Kubernetes API did not answer') =>
        delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: `d${i}` }, { fingerprint: `fp-${i}` }),
            outcomes: [matchFor(`d${i}`)],
          },
          {
            alert: alertOf({ alertname: 'X', pod: `p${i}` }, { fingerprint: `fp-deferred-${i}` }),
            outcomes: [
              {
                outcome: 'deferred' as const,
                policy: 'scorer-error-rate',
                subject: { kind: 'Pod' as const, namespace: 'ml-prod', name: `p${i}` },
                detail,
              },
            ],
          },
        ]);
      const results = await Promise.allSettled(
        [0, 1, 2, 3].map((i) => store.ingest(i === 1 ? one(i, 'bad\u0000detail') : one(i))),
      );
      expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SALVE_REQUEST_INVALID' });
      expect((await store.listAlerts({ limit: 10 })).map((a) => a.fingerprint).sort()).toEqual([
        'fp-0',
        'fp-2',
        'fp-3',
        'fp-deferred-0',
        'fp-deferred-2',
        'fp-deferred-3',
      ]);
      expect(await store.countOpenHeals()).toMatchObject({ pending: 3 });
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await r.close();
    }
  });

  it('answers the webhook 503 SALVE_STORE_UNAVAILABLE while PostgreSQL refuses connections, 202 once it is back', async () => {
    const url = await server.createDatabase();
    const database = new URL(url).pathname.slice(1);
    const t = await buildTestApp({ overrides: { store: openPostgresStore({ url, clock: fakeClock() }) } });
    const body = payload([
      {
        labels: {
          alertname: 'ModelServingErrorRate',
          severity: 'page',
          namespace: 'ml-prod',
          deployment: 'scorer',
        },
      },
    ]);
    try {
      await server.query(server.adminUrl, `ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
      await server.query(
        server.adminUrl,
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [database],
      );
      const refused = await t.deliver(body);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toMatchObject({ error: { code: 'SALVE_STORE_UNAVAILABLE' } });
      await server.query(server.adminUrl, `ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      const accepted = await t.deliver(body);
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toMatchObject({ alerts: { new: 1 } });
    } finally {
      await server.query(server.adminUrl, `ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      await t.close();
    }
  });
});
