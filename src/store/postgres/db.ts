import pg from 'pg';
import { isSalveError, SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';

export type Queryable = pg.Pool | pg.PoolClient;

/** SQLSTATEs after which a transaction can simply run again: serialization failure, deadlock detected. */
const rerunnable = new Set(['40001', '40P01']);
const attempts = 4;

function unavailable(what: string, cause: unknown): SalveError {
  return new SalveError('SALVE_STORE_UNAVAILABLE', `PostgreSQL: ${what} failed`, { cause, retryable: true });
}

/**
 * Every store call goes through here: writes are one transaction each, committed before the promise
 * resolves; anything the database or the network throws becomes SALVE_STORE_UNAVAILABLE (retryable, so the
 * webhook answers 503 and Alertmanager re-sends). SalveErrors raised by the store's own logic pass as they are.
 */
export function createPgRunner(pool: pg.Pool, log: Logger | undefined) {
  async function connect(what: string): Promise<pg.PoolClient> {
    try {
      return await pool.connect();
    } catch (cause) {
      throw unavailable(`${what} (connect)`, cause);
    }
  }

  async function transaction<T>(
    what: string,
    begin: string,
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await connect(what);
      let broken: Error | undefined;
      try {
        await client.query(begin);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        // A connection-level failure (not an error the server answered with) leaves the client unusable.
        if (!(err instanceof pg.DatabaseError) && !isSalveError(err)) broken ??= err as Error;
        if (isSalveError(err)) throw err;
        const code = err instanceof pg.DatabaseError ? err.code : undefined;
        if (code && rerunnable.has(code) && attempt < attempts) {
          log?.debug({ what, code, attempt }, 'transaction ran into another; running it again');
          continue;
        }
        throw unavailable(what, err);
      } finally {
        client.release(broken);
      }
    }
  }

  return {
    /** One read-committed transaction; rerun whole on deadlock or serialization failure. */
    write: <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) => transaction(what, 'BEGIN', fn),
    /** One consistent snapshot across several statements (e.g. walking the whole audit chain). */
    snapshot: <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) =>
      transaction(what, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn),
    /** A single statement outside any explicit transaction. */
    async read<T>(what: string, fn: (db: Queryable) => Promise<T>): Promise<T> {
      try {
        return await fn(pool);
      } catch (err) {
        if (isSalveError(err)) throw err;
        throw unavailable(what, err);
      }
    },
  };
}

export type PgRunner = ReturnType<typeof createPgRunner>;

/** Builds `$n` placeholders while collecting their values, for queries with optional filters. */
export function params() {
  const values: unknown[] = [];
  return {
    values,
    add(value: unknown): string {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
