import { createHash } from 'node:crypto';
import pg from 'pg';
import { isSalveError, SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { classifyConnectionError } from './connection-errors.js';
import { keepingConnection } from './pipeline.js';
import { armDeadline, DeadlineExceeded } from './pool.js';

export type Queryable = pg.Pool | pg.PoolClient;

/** SQLSTATEs after which a transaction can simply run again: serialization failure, deadlock detected. */
const rerunnable = new Set(['40001', '40P01']);
const attempts = 4;

/** What went wrong with PostgreSQL, in a few words: the reason a 503 and the outage log give. */
export function failureReason(err: unknown): string {
  if (err instanceof DeadlineExceeded || isAnswerTimeout(err)) return 'timed out';
  if (err instanceof pg.DatabaseError) return err.code === '57014' ? 'timed out' : err.message;
  return classifyConnectionError(err).cause;
}

export function unavailable(what: string, cause: unknown): SalveError {
  return new SalveError('SALVE_STORE_UNAVAILABLE', `PostgreSQL: ${what} failed (${failureReason(cause)})`, {
    cause,
    retryable: true,
  });
}

/** pg's own client-side timeout (query_timeout): the statement was sent and its answer never came. */
const isAnswerTimeout = (err: unknown) => err instanceof Error && err.message === 'Query read timeout';

/** The server ended the session (shutdown 57P01, crash 57P02, a FATAL of any kind, connection class 08). */
const sessionEnded = (err: pg.DatabaseError) =>
  err.severity === 'FATAL' || err.severity === 'PANIC' || (err.code ?? '').startsWith('08');

/**
 * The connection itself failed (not an error the server answered a statement with, nor one of salve's): the
 * client is unusable and goes back to the pool to be discarded. A session the server ended while the client
 * sat idle shows as the FATAL message read in answer to the next statement.
 */
export const isConnectionFailure = (err: unknown) =>
  err instanceof pg.DatabaseError ? sessionEnded(err) : !isSalveError(err);

/**
 * A connection found dead before its first statement got anywhere (a pooled connection the server closed
 * while it sat idle): nothing was done, so the work may run once more on a fresh connection. Not after a
 * timeout: a server that did not answer in time would only make the caller wait twice as long.
 */
export const isStaleConnection = (err: unknown) =>
  isConnectionFailure(err) && !(err instanceof DeadlineExceeded) && !isAnswerTimeout(err);

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
 * A call given a deadline fails when it passes, whatever it was waiting for.
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
    deadlineMs?: number,
  ): Promise<T> {
    let reconnected = false;
    for (let attempt = 1; ; attempt++) {
      const client = await connect(what);
      const deadline = deadlineMs === undefined ? null : armDeadline(client, deadlineMs, what);
      let broken: Error | undefined;
      // BEGIN goes with the transaction's first statement, in its round trip (pipeline.ts).
      const connection = keepingConnection(client);
      connection.keep(begin);
      try {
        const result = await fn(connection.client);
        await connection.run(['COMMIT']);
        return result;
      } catch (err) {
        // A broken connection cannot roll back (and one waiting for a lost answer would wait again): dropping
        // it is the rollback. Otherwise the server answered, and the connection is fine for the next one.
        if (isConnectionFailure(err)) broken = err as Error;
        else
          await client.query('ROLLBACK').catch((rollbackErr: Error) => {
            broken = rollbackErr;
          });
        if (!connection.answered && !reconnected && isStaleConnection(err)) {
          reconnected = true;
          log?.debug({ what }, 'pooled connection was dead; running the transaction on a fresh one');
          continue;
        }
        if (isRerunnable(err) && attempt < attempts) {
          log?.debug({ what, attempt }, 'transaction ran into another; running it again');
          continue;
        }
        throw storeError(what, err);
      } finally {
        deadline?.clear();
        client.release(broken);
      }
    }
  }

  return {
    /** One read-committed transaction; rerun whole on deadlock or serialization failure. */
    write: <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>, deadlineMs?: number) =>
      transaction(what, 'BEGIN', fn, deadlineMs),
    /** One consistent snapshot across several statements (e.g. walking the whole audit chain). */
    snapshot: <T>(what: string, fn: (client: pg.PoolClient) => Promise<T>) =>
      transaction(what, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn),
    /** Statements outside any explicit transaction: run again once on a fresh connection if this one was dead. */
    async read<T>(what: string, fn: (db: Queryable) => Promise<T>, deadlineMs?: number): Promise<T> {
      for (let again = true; ; again = false) {
        const client = await connect(what);
        const deadline = deadlineMs === undefined ? null : armDeadline(client, deadlineMs, what);
        let broken: Error | undefined;
        try {
          return await fn(client);
        } catch (err) {
          if (isConnectionFailure(err)) broken = err as Error;
          if (again && isStaleConnection(err)) continue;
          throw storeError(what, err);
        } finally {
          deadline?.clear();
          client.release(broken);
        }
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

/**
 * A statement of fixed text that PostgreSQL parses and plans once per connection (a named prepared statement:
 * node-postgres sends its text with the first use on each connection, then only its values). The name is the
 * text's digest, so two texts never share one. Only for text that never varies, and with its result columns
 * listed: a prepared `SELECT *` would fail on a live connection once another replica's migration adds a column.
 */
export function prepared(text: string): (values: unknown[]) => pg.QueryConfig {
  const name = `salve_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  return (values) => ({ name, text, values });
}
