import type { Socket } from 'node:net';
import pg from 'pg';
import type { Logger } from '../../observability/logger.js';

/** How long each wait on PostgreSQL may last: past it, the work fails (a delivery answers 503), never hangs. */
export type PgDeadlines = {
  /** Opening a connection, or waiting for a free one in the pool. */
  connectMs: number;
  /**
   * One statement. PostgreSQL cancels it after this long (a slow query, a lock wait: statement_timeout), and
   * salve stops waiting for its answer a little later (a frozen server or a partition never answers at all).
   */
  statementMs: number;
  /** A session stalled inside a transaction (stopped replica, partition) is ended by PostgreSQL, its locks freed. */
  idleInTransactionMs: number;
};

export const defaultPgDeadlines: PgDeadlines = {
  connectMs: 3_000,
  statementMs: 10_000,
  idleInTransactionMs: 5_000,
};

/** Time between the server's statement_timeout and salve giving up on the answer: the cancel's round trip. */
const answerGraceMs = 2_000;

/** `prepared`: statements made with `prepared()` are named, parsed once per connection; `unnamed`: none is. */
export type PgStatementMode = 'prepared' | 'unnamed';

/** A statement's config without its name: PostgreSQL parses it as a one-off (the unnamed statement). */
function unnamed(config: unknown): unknown {
  if (config === null || typeof config !== 'object' || !('name' in config)) return config;
  const { name: _name, ...rest } = config as pg.QueryConfig;
  return rest;
}

/**
 * A connection that never prepares a named statement. Behind a pooler in transaction mode that does not track
 * them (PgBouncer before 1.21, or without `max_prepared_statements`), a statement prepared on one server
 * connection is unknown on the next one the pooler hands out; with this client each is sent whole every time.
 */
class UnnamedStatementsClient extends pg.Client {}
const clientQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
Object.defineProperty(UnnamedStatementsClient.prototype, 'query', {
  value(this: pg.Client, config: unknown, ...rest: unknown[]) {
    return clientQuery.call(this, unnamed(config), ...rest);
  },
});

/** Whether `prepared()` statements keep their names on this connection (false in the 'unnamed' mode). */
export const preparesStatements = (client: pg.ClientBase): boolean =>
  !(client instanceof UnnamedStatementsClient);

/**
 * The pool every store call goes through. Every connection has an `error` listener from the moment it exists,
 * in the pool or checked out: a server shutdown (FATAL 57P01) or a dropped socket between two statements fails
 * the work on that connection, never the process.
 */
export function createPgPool(
  url: string,
  size: number,
  deadlines: PgDeadlines,
  log?: Logger,
  statements: PgStatementMode = 'prepared',
): pg.Pool {
  const pool = new pg.Pool({
    ...(statements === 'unnamed' ? { Client: UnnamedStatementsClient } : {}),
    connectionString: url,
    max: size,
    connectionTimeoutMillis: deadlines.connectMs,
    statement_timeout: deadlines.statementMs,
    query_timeout: deadlines.statementMs + answerGraceMs,
    idle_in_transaction_session_timeout: deadlines.idleInTransactionMs,
    // TCP keepalive both ways: a peer that vanished without a FIN (node lost) is noticed in seconds, and the
    // server frees the connection slot of a replica that is gone.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    application_name: 'salve',
    onConnect: (client) => {
      client.on('error', (err: Error) =>
        log?.debug({ error: err.message }, 'PostgreSQL connection failed; its work fails with it'),
      );
    },
  });
  // An idle connection dropped by the server: the pool discards it and the next checkout reconnects. The
  // outage itself is reported once, by the store's availability monitor.
  pool.on('error', (err) => log?.debug({ error: err.message }, 'idle PostgreSQL connection lost'));
  return pool;
}

export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from PostgreSQL within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Ends the connection if the work on it is not done within `ms`: whatever it waits for fails at once with
 * DeadlineExceeded, and PostgreSQL rolls the transaction back when it sees the connection go.
 */
export function armDeadline(client: pg.PoolClient, ms: number, what: string): { clear(): void } {
  const timer = setTimeout(() => cutConnection(client, new DeadlineExceeded(what, ms)), ms);
  return { clear: () => clearTimeout(timer) };
}

/** Destroys a connection's socket: its pending statements fail with `err`; the pool discards it on release. */
export function cutConnection(client: pg.PoolClient, err: Error): void {
  const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  stream?.destroy(err);
}
