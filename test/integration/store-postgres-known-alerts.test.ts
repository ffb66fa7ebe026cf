import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertIdentity } from '../../src/alerts/identity.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { fakeClock } from '../support/fake-clock.js';
import { countStatements, startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { alertOf, delivery } from '../support/store-contract.js';

let server: TestPostgres;
let store: Store;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterEach(async () => {
  await store?.close();
});
afterAll(async () => {
  await server?.stop();
});

const alert = (fingerprint: string) => alertOf({ alertname: 'X' }, { fingerprint });

/** The statements the store sends while `run` runs (each one round trip). */
async function statementsDuring<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const sent = countStatements();
  try {
    return { result: await run(), statements: sent.count };
  } finally {
    sent.stop();
  }
}

describe('PostgreSQL knownAlerts: the deliveries of one turn share one read', () => {
  async function storeWith(stored: string[]) {
    store = openPostgresStore({ url: await server.createDatabase(), clock: fakeClock() });
    await store.migrate();
    await store.ingest(delivery(stored.map((f) => ({ alert: alert(f), outcomes: [] }))));
  }

  it('five deliveries asking at once: one statement, each answered for its own alerts only', async () => {
    await storeWith(['a', 'b', 'c']);
    const asks = [['a', 'x'], ['b', 'a'], ['y'], ['c', 'c', 'z'], []].map((fs) => fs.map(alert));
    const { result, statements } = await statementsDuring(() =>
      Promise.all(asks.map((alerts) => store.knownAlerts(alerts))),
    );
    expect(statements).toBe(1);
    expect(result.map((known) => [...known].sort())).toEqual([
      [alertIdentity(alert('a'))],
      [alertIdentity(alert('a')), alertIdentity(alert('b'))].sort(),
      [],
      [alertIdentity(alert('c'))],
      [],
    ]);
  });

  it('one delivery with text PostgreSQL cannot hold fails alone; the others sharing its read are answered', async () => {
    await storeWith(['a', 'b']);
    const answers = await Promise.allSettled(
      [['a'], ['bad\u0000fingerprint', 'b'], ['b', 'q']].map((fs) => store.knownAlerts(fs.map(alert))),
    );
    expect(answers[0]).toEqual({ status: 'fulfilled', value: new Set([alertIdentity(alert('a'))]) });
    expect(answers[1]).toMatchObject({ status: 'rejected', reason: { code: 'SALVE_REQUEST_INVALID' } });
    expect(answers[2]).toEqual({ status: 'fulfilled', value: new Set([alertIdentity(alert('b'))]) });
  });

  it('a database that cannot answer fails every delivery sharing the read', async () => {
    await storeWith(['a']);
    await store.close();
    const answers = await Promise.allSettled([['a'], ['b']].map((fs) => store.knownAlerts(fs.map(alert))));
    for (const a of answers) expect(a).toMatchObject({ status: 'rejected' });
  });
});
