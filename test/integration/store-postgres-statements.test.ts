import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { createPgPool, defaultPgDeadlines, type PgStatementMode } from '../../src/store/postgres/pool.js';
import { knownAlertsText } from '../../src/store/postgres/reads.js';
import { fakeClock } from '../support/fake-clock.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { alertOf, delivery, matchFor } from '../support/store-contract.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

/** The statements prepared on the pool's one connection after a named statement ran on it twice. */
async function preparedAfterNamedQuery(mode: PgStatementMode): Promise<string[]> {
  const pool = createPgPool(await server.createDatabase(), 1, defaultPgDeadlines, undefined, mode);
  try {
    for (const n of [1, 2]) {
      const { rows } = await pool.query({ name: 'salve_probe', text: 'SELECT $1::int AS n', values: [n] });
      expect(rows).toEqual([{ n }]);
    }
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
    return rows.map((r) => r.name);
  } finally {
    await pool.end();
  }
}

describe('PostgreSQL statements: prepared, or unnamed for poolers that cannot carry them', () => {
  it('prepared (the default): a named statement is prepared once on its connection', async () => {
    expect(await preparedAfterNamedQuery('prepared')).toEqual(['salve_probe']);
  });

  it('unnamed: the same statement runs with nothing left prepared on the connection', async () => {
    expect(await preparedAfterNamedQuery('unnamed')).toEqual([]);
  });

  it('unnamed: a store ingests, opens a heal and attaches a re-sent group as with prepared statements', async () => {
    const store = openPostgresStore({
      url: await server.createDatabase(),
      clock: fakeClock(),
      poolSize: 1,
      statements: 'unnamed',
    });
    try {
      await store.migrate();
      const group = (status: 'firing' | 'resolved') =>
        delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-1', status }),
            outcomes: [matchFor('scorer')],
          },
          {
            alert: alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-2', status }),
            outcomes: [matchFor('scorer')],
          },
        ]);
      const first = await store.ingest(group('firing'));
      expect(first).toMatchObject({ new: 2, deduplicated: 0 });
      expect(first.opened).toHaveLength(1);
      const again = await store.ingest(group('firing'));
      expect(again).toMatchObject({ new: 0, deduplicated: 2, opened: [] });
      const heal = first.opened[0]!;
      expect((await store.getHeal(heal.id))?.state).toBe('pending');
      expect((await store.verifyAudit()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('knownAlerts keeps its per-alert index lookup when planned on an empty table (the plan lives as long as the connection)', async () => {
    const url = await server.createDatabase();
    const store = openPostgresStore({ url, clock: fakeClock() });
    await store.migrate();
    await store.close();
    const plan = await server.query<{ 'QUERY PLAN': string }>(
      url,
      `EXPLAIN (GENERIC_PLAN) ${knownAlertsText}`,
    );
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan using \S+ on alerts/);
    expect(text).not.toMatch(/Seq Scan on alerts/);
  });
});
