import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { postgresMigrations } from '../../src/store/postgres/migrations.js';
import { alertsByStartText, knownAlertsText } from '../../src/store/postgres/reads.js';
import { touchEveryAlertStatement } from '../support/alerts-workload.js';
import { fakeClock } from '../support/fake-clock.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { alertOf, delivery, T } from '../support/store-contract.js';

// Migration 11 re-keys the alerts' unique identity by start time first. A database of the previous release keeps
// every alert and its id; ON CONFLICT infers the new index, and every statement on alerts stays an index lookup.

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const startsAt = '2026-11-27T02:50:00.000Z';

/** A database as the previous release left it: schema version 9, two deliveries, four alerts. */
async function releaseNineDatabase(): Promise<string> {
  const url = await server.createDatabase();
  await server.query(
    url,
    'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)',
  );
  for (const m of postgresMigrations.filter((x) => x.version <= 9)) {
    await server.query(url, m.sql);
    await server.query(url, 'INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, T(0)]);
  }
  await server.query(
    url,
    `INSERT INTO deliveries (id, received_at, receiver, group_key, external_url, status, alert_count, new_count,
                             truncated)
     OVERRIDING SYSTEM VALUE VALUES (1, $1, 'salve', '{}', 'http://am', 'firing', 2, 2, 0),
                                    (2, $2, 'salve', '{}', 'http://am', 'firing', 2, 2, 0)`,
    [T(0), T(1)],
  );
  await server.query(
    url,
    `INSERT INTO alerts (id, fingerprint, starts_at, status, ends_at, labels, annotations, generator_url,
                         delivery_id, received_at)
     OVERRIDING SYSTEM VALUE VALUES
       (3, 'fp-a', $1, 'firing', NULL, '{"alertname":"X","pod":"a"}', '{}', '', 1, $2),
       (7, 'fp-b', $1, 'firing', NULL, '{"alertname":"X","pod":"b"}', '{}', '', 1, $2),
       (8, 'fp-a', $1, 'resolved', $3, '{"alertname":"X","pod":"a"}', '{}', '', 2, $3),
       (12, 'fp-a', '2026-11-27T02:55:00.000Z', 'firing', NULL, '{"alertname":"X","pod":"a"}', '{}', '', 2, $3)`,
    [startsAt, T(0), T(1)],
  );
  // The identity sequence stands where the previous release left it.
  await server.query(url, "SELECT setval(pg_get_serial_sequence('alerts', 'id'), 12)");
  await server.query(url, "SELECT setval(pg_get_serial_sequence('deliveries', 'id'), 2)");
  return url;
}

/** Every plan line of `EXPLAIN sql` on the database at `url`. */
async function planOf(url: string, sql: string): Promise<string> {
  const rows = await server.query<{ 'QUERY PLAN': string }>(url, `EXPLAIN ${sql}`);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

describe('PostgreSQL migration 11: alerts keyed by start time', () => {
  it('keeps every alert and its id; the identity is one unique constraint, start time first', async () => {
    const url = await releaseNineDatabase();
    const rows = () => server.query(url, 'SELECT * FROM alerts ORDER BY id');
    const before = await rows();
    const store = openPostgresStore({ url, clock: fakeClock() });
    try {
      await store.migrate();
      expect(await rows()).toEqual(before);
      expect(
        await server.query(
          url,
          `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
            WHERE conrelid = 'alerts'::regclass AND contype IN ('u', 'p') ORDER BY conname`,
        ),
      ).toEqual([
        { conname: 'alerts_identity', def: 'UNIQUE (starts_at, fingerprint, status)' },
        { conname: 'alerts_pkey', def: 'PRIMARY KEY (id)' },
      ]);
      expect(
        (
          await server.query<{ indexname: string }>(
            url,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'alerts'",
          )
        )
          .map((r) => r.indexname)
          .sort(),
      ).toEqual(['alerts_identity', 'alerts_pkey']);
      // ON CONFLICT (fingerprint, starts_at, status) infers the re-keyed index: the same order or not.
      expect(
        await planOf(
          url,
          `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, delivery_id,
                               received_at)
           VALUES ('f', 's', 'firing', '{}', '{}', '', 1, 'r') ON CONFLICT (fingerprint, starts_at, status) DO NOTHING`,
        ),
      ).toMatch(/Conflict Arbiter Indexes: alerts_identity/);

      const a = alertOf({ alertname: 'X', pod: 'a' }, { fingerprint: 'fp-a', startsAt });
      expect(await store.knownAlerts([a, { ...a, fingerprint: 'fp-z' }])).toEqual(
        new Set([`fp-a/${startsAt}/firing`]),
      );
      expect(await store.ingest(delivery([{ alert: a, outcomes: [] }], T(30)))).toMatchObject({
        new: 0,
        deduplicated: 1,
      });
      expect(
        (await store.alertsByStart([{ fingerprint: 'fp-a', startsAt }])).map((r) => [r.id, r.status]),
      ).toEqual([
        [3, 'firing'],
        [8, 'resolved'],
      ]);
      expect(
        await store.ingest(delivery([{ alert: { ...a, fingerprint: 'fp-n' }, outcomes: [] }], T(31))),
      ).toMatchObject({ new: 1 });
      // After the ids the previous release gave (a conflicting insert takes a number from the sequence too).
      expect((await store.listAlerts({ afterId: 8, limit: 10 })).map((r) => [r.id, r.fingerprint])).toEqual([
        [12, 'fp-a'],
        [expect.any(Number), 'fp-n'],
      ]);
      expect((await store.listAlerts({ afterId: 12, limit: 10 }))[0]!.id).toBeGreaterThan(12);
    } finally {
      await store.close();
    }
  });

  it('the prepared reads keep their per-alert index lookups when planned on an empty table', async () => {
    const url = await server.createDatabase();
    const store = openPostgresStore({ url, clock: fakeClock() });
    await store.migrate();
    await store.close();
    for (const text of [knownAlertsText, alertsByStartText]) {
      const plan = await planOf(url, `(GENERIC_PLAN) ${text}`);
      expect(plan).toMatch(/Index (Only )?Scan using alerts_identity on alerts/);
      expect(plan).toMatch(/Index Cond: \(\(?(alerts\.|a\.)?starts_at = /);
      expect(plan).not.toMatch(/Seq Scan on alerts/);
    }
  });

  it('every statement the store sends about alerts is an index lookup on a table of 20,000', async () => {
    // The statements are the store's own: every text it sends while it ingests, deduplicates, defers, settles,
    // reads by start and lists as the API may, is planned again on a grown, analysed table.
    const url = await server.createDatabase();
    const texts = new Set<string>();
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function recorded(this: pg.Client, ...a: unknown[]) {
      const text = typeof a[0] === 'string' ? a[0] : (a[0] as { text?: string } | undefined)?.text;
      if (text !== undefined) texts.add(text);
      return (query as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof query;
    const store = openPostgresStore({ url, clock: fakeClock() });
    try {
      await store.migrate();
      await touchEveryAlertStatement(store, startsAt);
    } finally {
      pg.Client.prototype.query = query;
      await store.close();
    }
    // Twenty thousand alerts over twenty days, as the planner's statistics see them.
    await server.query(
      url,
      `INSERT INTO alerts (fingerprint, starts_at, status, labels, annotations, generator_url, delivery_id, received_at)
       SELECT md5(n::text), to_char(timestamp '2026-11-07' + n * interval '86 seconds', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'firing', '{}', '{}', '', 1, 'r'
         FROM generate_series(1, 20000) AS n`,
    );
    await server.query(url, 'ANALYZE alerts');
    const onAlerts = [...texts].filter((sql) => /\b(FROM|INTO|UPDATE|JOIN)\s+alerts\b/i.test(sql));
    expect(onAlerts.length).toBeGreaterThanOrEqual(7);
    for (const sql of onAlerts) {
      const plan = await planOf(url, `(GENERIC_PLAN) ${sql}`);
      expect(plan, sql).not.toMatch(/Seq Scan on alerts/);
      if (/^\s*SELECT/i.test(sql))
        expect(plan, sql).toMatch(/Index (Only )?Scan using alerts_(identity|pkey)/);
    }
  });
});
