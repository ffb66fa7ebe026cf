import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { runStoreContract, type StoreHarness, testAuditKey } from '../support/store-contract.js';
import { runEngineStoreContract } from '../support/store-contract-engine.js';

async function openHarness(writer: 'worker' | 'event-loop'): Promise<StoreHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-store-'));
  const file = path.join(dir, 'salve.db');
  const store = openSqliteStore({ file, clock: fakeClock(), auditKey: testAuditKey, writer });
  await store.migrate();
  const raw = (sql: string, ...params: unknown[]) => {
    const db = new BetterSqlite3(file);
    db.prepare(sql).run(...params);
    db.close();
  };
  return {
    store,
    tamperAuditData: async (seq, data) =>
      raw('UPDATE audit SET data = ? WHERE seq = ?', JSON.stringify(data), seq),
    deleteAuditRecord: async (seq) => raw('DELETE FROM audit WHERE seq = ?', seq),
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The writer thread (salve's default for a file) and the writer on the event loop keep the same contract.
runStoreContract('sqlite', () => openHarness('worker'));
runEngineStoreContract('sqlite', () => openHarness('worker'));
runStoreContract('sqlite, writer on the event loop', () => openHarness('event-loop'));
runEngineStoreContract('sqlite, writer on the event loop', () => openHarness('event-loop'));
