import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Checkpointer,
  checkpointerAfterWrites,
  startCheckpointer,
} from '../../src/store/sqlite/checkpointer.js';
import { openConnection } from '../../src/store/sqlite/connection.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, testAuditKey } from '../support/store-contract.js';
import { waitFor } from '../support/wait.js';

// The checkpoint thread copies the WAL into the database file beside the writer, so that the writer's commits
// do not; the writer checkpoints itself only at the WAL's bound, which keeps the WAL bounded either way.
describe('SQLite checkpoint thread', () => {
  const dirs: string[] = [];
  const checkpointers: Checkpointer[] = [];
  const dbs: Database.Database[] = [];
  const fileIn = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-checkpoint-'));
    dirs.push(dir);
    return path.join(dir, 'salve.db');
  };
  /** A writer connection as salve opens one, checkpointing itself at `bound` pages (0: never). */
  const writerOn = (file: string, bound: number) => {
    const db = openConnection(file);
    dbs.push(db);
    db.pragma(`wal_autocheckpoint = ${bound}`);
    db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    return (rows: number) =>
      db.transaction(() => {
        for (let i = 0; i < rows; i++) insert.run('x'.repeat(2000));
      })();
  };

  afterEach(async () => {
    for (const c of checkpointers.splice(0)) await c.close();
    for (const db of dbs.splice(0)) db.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('copies what the writer committed into the database file while the writer never checkpoints', async () => {
    const file = fileIn();
    const write = writerOn(file, 0);
    const passes: Array<{ log: number; checkpointed: number }> = [];
    checkpointers.push(startCheckpointer(file, { everyMs: 10, onPass: (p) => passes.push(p) }));
    for (let i = 0; i < 10; i++) write(20);
    await waitFor(
      'a pass that copied the whole WAL',
      () => passes.at(-1),
      (p) => p !== undefined && p.log > 0 && p.checkpointed === p.log,
    );
    // The database file alone (no WAL beside it) holds every committed row.
    const copy = path.join(path.dirname(file), 'copy.db');
    fs.copyFileSync(file, copy);
    const alone = new Database(copy, { readonly: true });
    expect((alone.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(200);
    alone.close();
  });

  it('under continuous writes the WAL starts over at its bound instead of growing', async () => {
    const file = fileIn();
    const bound = 64;
    const write = writerOn(file, bound);
    checkpointers.push(startCheckpointer(file, { everyMs: 1 }));
    // 400 transactions of 4 pages each: 1,600 pages, 25 times the bound.
    for (let i = 0; i < 400; i++) write(4);
    const framePages = fs.statSync(`${file}-wal`).size / (4096 + 24);
    expect(framePages).toBeLessThan(bound * 4);
  });

  it('starts beside the writer thread of a store that writes, and stops when the store closes', async () => {
    const file = fileIn();
    const store = openSqliteStore({ file, clock: fakeClock(), auditKey: testAuditKey, writer: 'worker' });
    const sizeAtStart = fs.statSync(file).size;
    // The thread starts once the store has taken enough writes to be worth it.
    const deliveries = checkpointerAfterWrites + 40;
    await Promise.all(
      Array.from({ length: deliveries }, (_, i) =>
        store.ingest(
          delivery([
            { alert: alertOf({ alertname: 'X', pod: `p${i}` }, { fingerprint: `fp-${i}` }), outcomes: [] },
          ]),
        ),
      ),
    );
    // Far under the writer's own bound: only the checkpoint thread copies pages into the file.
    await waitFor(
      'the database file to grow',
      () => fs.statSync(file).size,
      (size) => size > sizeAtStart,
    );
    await store.close();
    const reopened = openSqliteStore({
      file,
      clock: fakeClock(),
      auditKey: testAuditKey,
      writer: 'event-loop',
    });
    expect(await reopened.listAlerts({ limit: 1000 })).toHaveLength(deliveries);
    expect(await reopened.verifyAudit()).toMatchObject({ ok: true });
    await reopened.close();
  });
});
