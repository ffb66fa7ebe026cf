// Statements pipelined in one round trip (src/store/postgres/pipeline.ts): what they answer must be what the
// same statements answer one by one, named statements parsed once per connection, errors the server's own,
// and the connection usable afterwards.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionFailure, prepared, storeError } from '../../src/store/postgres/db.js';
import { keepingConnection, pipeline, sendPipeline } from '../../src/store/postgres/pipeline.js';
import {
  createPgPool,
  cutConnection,
  DeadlineExceeded,
  defaultPgDeadlines,
  type PgStatementMode,
} from '../../src/store/postgres/pool.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { until } from '../support/wait.js';

let server: TestPostgres;
let url: string;
beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase();
  await server.query(url, 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, at timestamptz)');
});
afterAll(async () => {
  await server?.stop();
});

const pools: pg.Pool[] = [];
const clients: pg.PoolClient[] = [];
afterEach(async () => {
  // Dropped, not returned: a test may leave its connection in any state.
  for (const client of clients.splice(0)) client.release(true);
  await Promise.all(pools.splice(0).map((p) => p.end()));
  await server.query(url, 'TRUNCATE items');
});

/** A client of a fresh one-connection pool, as the store makes them. */
async function connect(mode: PgStatementMode = 'prepared'): Promise<pg.PoolClient> {
  const pool = createPgPool(url, 1, defaultPgDeadlines, undefined, mode);
  pools.push(pool);
  const client = await pool.connect();
  clients.push(client);
  return client;
}

/** What a result says, without pg's internals (parsers, row constructor). */
const seen = (r: pg.QueryResult) => ({
  command: r.command,
  rowCount: r.rowCount,
  rows: r.rows,
  fields: r.fields.map((f) => [f.name, f.dataTypeID]),
});

const byName = prepared('SELECT id, name, at FROM items WHERE id = ANY($1::int[]) ORDER BY id');
const insertItems = prepared(
  'INSERT INTO items (id, name, at) SELECT * FROM unnest($1::int[], $2::text[], $3::timestamptz[]) RETURNING id',
);

const statements = (): Array<string | pg.QueryConfig> => [
  'BEGIN',
  insertItems([
    [1, 2],
    ['one', 'two'],
    ['2026-11-27T03:00:00Z', null],
  ]),
  byName([[1, 2, 3]]),
  {
    text: `SELECT $1::bigint AS big, $2::int AS small, $3::boolean AS yes, $4::jsonb AS doc, $5::text[] AS list,
                  NULL::text AS nothing, 1.5::numeric AS num`,
    values: ['9007199254740993', 7, true, JSON.stringify({ a: [1, 'x'] }), ['a', 'b,c', '"q"']],
  },
  { text: 'UPDATE items SET name = name || $1 WHERE id > $2', values: ['!', 0] },
  'SELECT 1 AS one WHERE false',
  'COMMIT',
];

describe('a pipeline of statements', () => {
  it('answers what the same statements answer one by one: rows, types, commands, counts', async () => {
    const client = await connect();
    const piped = await pipeline(client, statements());
    await client.query('TRUNCATE items');
    const oneByOne: pg.QueryResult[] = [];
    for (const s of statements()) oneByOne.push(await client.query(s as pg.QueryConfig));
    expect(piped.map(seen)).toEqual(oneByOne.map(seen));
    expect(piped[2]!.rows).toEqual([
      { id: 1, name: 'one', at: new Date('2026-11-27T03:00:00Z') },
      { id: 2, name: 'two', at: null },
    ]);
    expect(piped[3]!.rows[0]).toMatchObject({ big: '9007199254740993', doc: { a: [1, 'x'] }, nothing: null });
    expect(piped[4]!.rowCount).toBe(2);
    expect(piped[5]!.rows).toEqual([]);
  });

  it('parses a named statement once per connection; pg’s own queries reuse it, and it reuses theirs', async () => {
    const client = await connect();
    const connection = (client as unknown as { connection: { parse: (m: { name?: string }) => void } })
      .connection;
    const parsed: string[] = [];
    const parse = connection.parse.bind(connection);
    connection.parse = (m: { name?: string }) => {
      parsed.push(m.name ?? '');
      parse(m);
    };
    const probe = prepared('SELECT $1::int + 1 AS n');
    expect((await pipeline(client, [probe([1]), probe([2]), byName([[9]])])).map((r) => r.rows)).toEqual([
      [{ n: 2 }],
      [{ n: 3 }],
      [],
    ]);
    expect(parsed).toEqual([probe([]).name, byName([]).name]);
    // Known as parsed to node-postgres: its Query does not parse it again (a second Parse would fail: 42P05).
    expect((await client.query(probe([5]))).rows).toEqual([{ n: 6 }]);
    const other = prepared('SELECT $1::text AS t');
    await client.query(other(['x']));
    parsed.length = 0;
    await pipeline(client, [probe([7]), other(['y'])]);
    expect(parsed).toEqual([]);
    const { rows } = await client.query('SELECT name FROM pg_prepared_statements ORDER BY name');
    expect(rows.map((r) => r.name).sort()).toEqual([probe([]).name, byName([]).name, other([]).name].sort());
  });

  it("in the 'unnamed' mode, prepares nothing and answers the same", async () => {
    const client = await connect('unnamed');
    const piped = await pipeline(client, statements());
    expect(piped[2]!.rows.map((r) => r.id)).toEqual([1, 2]);
    expect((await pipeline(client, [byName([[1, 2]])]))[0]!.rows).toHaveLength(2);
    const { rows } = await client.query('SELECT name FROM pg_prepared_statements');
    expect(rows).toEqual([]);
  });

  it('fails with the first error as the server sent it; the rest is skipped, the transaction aborted', async () => {
    const client = await connect();
    const sent = sendPipeline(client, [
      'BEGIN',
      insertItems([[1], ['one'], [null]]),
      { text: 'SELECT 1 / $1::int', values: [0] },
      insertItems([[2], ['two'], [null]]),
      'COMMIT',
    ]);
    const err = await sent.results.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(pg.DatabaseError);
    expect(err).toMatchObject({ code: '22012' });
    expect(isConnectionFailure(err)).toBe(false);
    expect(sent.pipeline.failedAt).toBe(2);
    // PostgreSQL says the transaction is aborted (the COMMIT was skipped, not run): a statement is refused,
    // and the ReadyForQuery before it said 'E'.
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    expect(client.getTransactionStatus()).toBe('E');
    await client.query('ROLLBACK');
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 0 }]);
  });

  it('outside a transaction, the statements up to the Sync are one implicit transaction', async () => {
    const client = await connect();
    await expect(
      pipeline(client, [insertItems([[1], ['one'], [null]]), insertItems([[1], ['again'], [null]])]),
    ).rejects.toMatchObject({ code: '23505' });
    // No transaction is left open (read once the next statement's ReadyForQuery came).
    await client.query('SELECT 1');
    expect(client.getTransactionStatus()).toBe('I');
    expect((await client.query('SELECT count(*)::int AS n FROM items')).rows).toEqual([{ n: 0 }]);
  });

  it('a named statement that fails to parse is not recorded; the ones parsed before it are', async () => {
    const client = await connect();
    const good = prepared('SELECT $1::int * 2 AS n');
    const bad = prepared('SELECT FROM WHERE nonsense');
    await expect(pipeline(client, [good([1]), bad([]), good([2])])).rejects.toMatchObject({ code: '42601' });
    // `good` is prepared on the server and known to the client: used again without a Parse (no 42P05).
    expect((await pipeline(client, [good([3])]))[0]!.rows).toEqual([{ n: 6 }]);
    expect((await client.query(good([4]))).rows).toEqual([{ n: 8 }]);
    // `bad` is not known: sent again, it fails again the same way (not as 'does not exist').
    await expect(pipeline(client, [bad([])])).rejects.toMatchObject({ code: '42601' });
  });

  it('hostile text goes through as written; NUL is refused as text PostgreSQL cannot store', async () => {
    const client = await connect();
    const texts = ["it's", 'back\\slash', '"quoted"', '\u2028 ünïcødé 🚨', '$1', 'x'.repeat(1_000_000)];
    const results = await pipeline(
      client,
      texts.map((t) => ({ text: 'SELECT $1::text AS t', values: [t] })),
    );
    expect(results.map((r) => r.rows[0]!.t)).toEqual(texts);
    const err = await pipeline(client, [{ text: 'SELECT $1::text AS t', values: ['a\u0000b'] }]).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: '22021' });
    expect(storeError('writing', err)).toMatchObject({ code: 'SALVE_REQUEST_INVALID' });
    expect((await pipeline(client, ['SELECT 1 AS one']))[0]!.rows).toEqual([{ one: 1 }]);
  });

  it('a cut connection (a deadline) fails it at once', async () => {
    const client = await connect();
    const waiting = pipeline(client, ['BEGIN', 'SELECT pg_sleep(30)', 'COMMIT']);
    // Once the server runs it (the statement is there): then cut, as a batch's deadline does.
    await waitForActivity('SELECT pg_sleep(30)');
    cutConnection(client, new DeadlineExceeded('testing', 1));
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceeded);
    expect(isConnectionFailure(err)).toBe(true);
  });

  it('writes kept on a connection go with the next statement answered, in one round trip', async () => {
    const client = await connect();
    const connection = keepingConnection(client);
    await connection.run(['BEGIN']);
    connection.keep(insertItems([[1], ['one'], [null]]), insertItems([[2], ['two'], [null]]));
    // A query on the connection's client carries them (the statements take it as their client).
    const { rows } = await connection.client.query(byName([[1, 2]]));
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
    // A kept write that fails fails the query that carried it, and says it was a kept one.
    connection.keep(insertItems([[1], ['dup'], [null]]));
    await expect(connection.run(['SELECT 1'])).rejects.toMatchObject({ code: '23505' });
    expect(connection.failedInKept).toBe(true);
    await client.query('ROLLBACK');
    await expect(connection.run([{ text: 'SELECT 1 / $1::int', values: [0] }])).rejects.toMatchObject({
      code: '22012',
    });
    expect(connection.failedInKept).toBe(false);
    // With nothing kept, a query is pg's own (several statements in one text, simple protocol).
    const both = (await connection.client.query(
      'SELECT 1 AS a; SELECT 2 AS b',
    )) as unknown as pg.QueryResult[];
    expect(both.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });
});

const waitForActivity = (text: string) =>
  until(`the server running ${text}`, async () => {
    const rows = await server.query(url, 'SELECT 1 FROM pg_stat_activity WHERE query = $1', [text]);
    return rows.length > 0;
  });
