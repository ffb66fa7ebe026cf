import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { runStoreContract } from '../support/store-contract.js';

runStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-store-'));
  const file = path.join(dir, 'salve.db');
  const store = openSqliteStore({ file, clock: fakeClock() });
  await store.migrate();
  const raw = () => new BetterSqlite3(file);
  return {
    store,
    async tamperAuditData(seq, data) {
      const db = raw();
      db.prepare('UPDATE audit SET data = ? WHERE seq = ?').run(JSON.stringify(data), seq);
      db.close();
    },
    async deleteAuditRecord(seq) {
      const db = raw();
      db.prepare('DELETE FROM audit WHERE seq = ?').run(seq);
      db.close();
    },
    async close() {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
