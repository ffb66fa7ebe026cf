import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { runStoreContract, type StoreHarness } from '../support/store-contract.js';
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
  const store = openPostgresStore({ url, clock: fakeClock() });
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
