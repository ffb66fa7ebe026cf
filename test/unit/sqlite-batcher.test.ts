import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isSalveError } from '../../src/errors.js';
import { createWriteBatcher } from '../../src/store/sqlite/batcher.js';

// The group commit runs a batch without a savepoint per write; a write that throws sends the batch round again,
// each write in a savepoint of its own. What each caller sees must be what a savepoint per write gave.
describe('the SQLite group commit', () => {
  const dbs: BetterSqlite3.Database[] = [];
  const open = () => {
    const db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    dbs.push(db);
    return db;
  };
  const keys = (db: BetterSqlite3.Database) =>
    (db.prepare('SELECT k FROM t ORDER BY k').all() as Array<{ k: string }>).map((r) => r.k);

  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
  });

  it('writes of one turn share one transaction and each gets its own value', async () => {
    const db = open();
    let rollbacks = 0;
    const batcher = createWriteBatcher(db, () => rollbacks++);
    const insert = db.prepare('INSERT INTO t (k, n) VALUES (?, ?)');
    const seen: boolean[] = [];
    const results = await Promise.all(
      ['a', 'b', 'c'].map((k, i) =>
        batcher.write(() => {
          seen.push(db.inTransaction);
          insert.run(k, i);
          return `${k}${i}`;
        }),
      ),
    );
    expect(results).toEqual(['a0', 'b1', 'c2']);
    expect(seen).toEqual([true, true, true]);
    expect(keys(db)).toEqual(['a', 'b', 'c']);
    expect(rollbacks).toBe(0);
  });

  it('a write that throws half-way fails alone: its rows roll back, the others of its batch commit', async () => {
    const db = open();
    let rollbacks = 0;
    const batcher = createWriteBatcher(db, () => rollbacks++);
    const insert = db.prepare('INSERT INTO t (k, n) VALUES (?, ?)');
    const runs: string[] = [];
    const settled = await Promise.allSettled([
      batcher.write(() => {
        runs.push('a');
        insert.run('a', 1);
      }),
      batcher.write(() => {
        runs.push('bad');
        // Its first row is written before it throws: the retry must not keep it.
        insert.run('half', 1);
        insert.run('a', 2);
      }),
      batcher.write(() => {
        runs.push('c');
        insert.run('c', 3);
        return 'c';
      }),
    ]);
    expect(settled[0]).toMatchObject({ status: 'fulfilled' });
    expect(settled[1]).toMatchObject({
      status: 'rejected',
      reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' },
    });
    expect(settled[2]).toMatchObject({ status: 'fulfilled', value: 'c' });
    expect(keys(db)).toEqual(['a', 'c']);
    // Run once without savepoints (stopped at the failing write), then again guarded; the first run's chain
    // head is put back before the second.
    expect(runs).toEqual(['a', 'bad', 'a', 'bad', 'c']);
    expect(rollbacks).toBe(1);
  });

  it('a batch of one failing write rolls back without a second run', async () => {
    const db = open();
    let rollbacks = 0;
    const batcher = createWriteBatcher(db, () => rollbacks++);
    let runs = 0;
    await expect(
      batcher.write(() => {
        runs++;
        db.prepare('INSERT INTO t (k, n) VALUES (?, ?)').run('x', 1);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(runs).toBe(1);
    expect(keys(db)).toEqual([]);
    expect(rollbacks).toBe(1);
    expect(db.inTransaction).toBe(false);
  });

  it('a commit that fails rejects every write of its batch as the store being unavailable', async () => {
    const db = open();
    let rollbacks = 0;
    const batcher = createWriteBatcher(db, () => rollbacks++);
    // A deferred foreign key fails at COMMIT, not in the write.
    db.exec(`CREATE TABLE parent (id TEXT PRIMARY KEY);
      CREATE TABLE child (p TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)`);
    db.pragma('foreign_keys = ON');
    const settled = await Promise.allSettled([
      batcher.write(() => db.prepare('INSERT INTO t (k, n) VALUES (?, ?)').run('ok', 1)),
      batcher.write(() => db.prepare('INSERT INTO child (p) VALUES (?)').run('missing')),
    ]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      const reason = (s as PromiseRejectedResult).reason;
      expect(isSalveError(reason) && reason.code).toBe('SALVE_STORE_UNAVAILABLE');
    }
    expect(keys(db)).toEqual([]);
    expect(rollbacks).toBe(1);
  });

  it('verify refusing before the commit writes nothing', async () => {
    const db = open();
    const batcher = createWriteBatcher(
      db,
      () => undefined,
      () => {
        throw new Error('the file is gone');
      },
    );
    let runs = 0;
    await expect(batcher.write(() => runs++)).rejects.toThrow('the file is gone');
    expect(runs).toBe(0);
  });
});
