import pg from 'pg';
import { isSalveError, SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';

export type Queryable = pg.Pool | pg.PoolClient;

/** SQLSTATEs after which a transaction can simply run again: serialization failure, deadlock detected. */
const rerunnable = new Set(['40001', '40P01']);
const attempts = 4;

export function unavailable(what: string, cause: unknown): SalveError {
  return new SalveError('SALVE_STORE_UNAVAILABLE', `PostgreSQL: ${what} failed`, { cause, retryable: true });
}

/** Invalid byte sequence, untranslatable character: PostgreSQL text cannot hold NUL (SQLite can). */
const unstorable = new Set(['22021', '22P05']);

/**
 * What a store call throws: the store's own SalveErrors as they are; text PostgreSQL cannot hold is the
 * sender's problem (4xx, not retried); everything else is the database's (503, retried).
 */
export function storeError(what: string, err: unknown): SalveError {
  if (isSalveError(err)) return err;
  if (err instanceof pg.DatabaseError && err.code !== undefined && unstorable.has(err.code)) {
    return new SalveError('SALVE_REQUEST_INVALID', `PostgreSQL cannot store this text (${err.message})`, {
      cause: err,
    });
  }
  return unavailable(what, err);
}

/** Free text written by salve itself (details, reasons): a NUL is replaced rather than refused. */
export const storableText = <T extends string | null>(text: T): T =>
  (text === null ? text : text.replaceAll('\u0000', '\uFFFD')) as T;

/** Deadlock victims and serialization failures: nothing was wrong with the work, only its timing. */
export function isRerunnable(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code !== undefined && rerunnable.has(err.code);
}

/**
 * Every store call but ingest goes through here: writes are one transaction each, committed before the
 * promise resolves, and what they throw is mapped by storeError (mostly SALVE_STORE_UNAVAILABLE, retryable).
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
        if (isRerunnable(err) && attempt < attempts) {
          log?.debug({ what, attempt }, 'transaction ran into another; running it again');
          continue;
        }
        throw storeError(what, err);
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
        throw storeError(what, err);
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
