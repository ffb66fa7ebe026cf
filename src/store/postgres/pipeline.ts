import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { preparesStatements } from './pool.js';

/** A statement of a pipeline: text, or text with values (and a name, from `prepared()`). One statement each. */
export type PipelineStatement = string | pg.QueryConfig;

/** What node-postgres's Connection offers a Submittable (pg/lib/connection.js; what its own Query uses). */
type Connection = EventEmitter & {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(m: { text: string; name?: string; types?: unknown[] }): void;
  bind(m: { portal: string; statement?: string; values: unknown[]; valueMapper?: unknown }): void;
  describe(m: { type: 'P'; name: string }): void;
  execute(m: { portal: string; rows?: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
};

type Result = pg.QueryResult & {
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): pg.QueryResultRow;
  addRow(row: pg.QueryResultRow): void;
  addCommandComplete(msg: unknown): void;
};
const ResultClass = (pg as unknown as { Result: new (rowMode?: string, types?: unknown) => Result }).Result;
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;

type Planned = { text: string; name: string | undefined; values: unknown[] };

/**
 * Several statements in ONE round trip, on node-postgres's Submittable interface (what pg-cursor and
 * pg-query-stream use): for each statement Parse (a named one only the first time on this connection, as pg's
 * own Query decides), Bind, Describe and Execute, then a single Sync, written at once. PostgreSQL answers them
 * in order; after an error it skips the rest up to the Sync, so the pipeline fails with that first error (the
 * server's DatabaseError as it is: every classification of errors holds) and `failedAt` says which statement.
 * A cut connection (a deadline, a lost server) fails it like any query.
 *
 * In a transaction, the statements after a failure are not run and the transaction is aborted, as if they
 * had been sent one by one and the caller had stopped at the first error.
 */
export class StatementPipeline {
  /** Index of the statement whose error failed the pipeline (-1 when the pipeline itself could not be sent). */
  failedAt = -1;
  /** Set by `client.query` when it arms its read timeout; called exactly once, as pg's Query does. */
  callback: (err: Error | null, results?: pg.QueryResult[]) => void;
  private readonly planned: Planned[];
  private readonly results: Result[] = [];
  private current = 0;
  private rowError: Error | null = null;
  /** The names this pipeline sends a Parse for, in order (null for the unnamed statement). */
  private readonly parses: Array<{ name: string; text: string } | null> = [];
  private parsed = 0;
  private connection: Connection | null = null;
  private readonly onParseComplete = () => {
    this.parsed += 1;
  };

  constructor(
    statements: readonly PipelineStatement[],
    types: unknown,
    named: boolean,
    done: StatementPipeline['callback'],
  ) {
    this.callback = done;
    this.planned = statements.map((s) => {
      const config = typeof s === 'string' ? { text: s } : s;
      return { text: config.text, name: named ? config.name : undefined, values: config.values ?? [] };
    });
    for (let i = 0; i < this.planned.length; i++) this.results.push(new ResultClass(undefined, types));
  }

  submit(connection: Connection): Error | null {
    // Values are turned into text first: one that cannot be (a throwing toPostgres) fails the pipeline before
    // any message is written, where pg's Query would have to close a half-sent statement.
    let values: unknown[][];
    try {
      values = this.planned.map((p) => p.values.map((v) => prepareValue(v)));
    } catch (err) {
      return err as Error;
    }
    for (const p of this.planned) {
      if (p.name === undefined) continue;
      const previous = connection.parsedStatements[p.name] ?? connection.submittedNamedStatements[p.name];
      if (previous !== undefined && previous !== p.text)
        return new Error(
          `Prepared statements must be unique - '${p.name}' was used for a different statement`,
        );
    }
    this.connection = connection;
    connection.on('parseComplete', this.onParseComplete);
    connection.stream.cork?.();
    try {
      this.planned.forEach((p, i) => {
        const known =
          p.name !== undefined &&
          (connection.parsedStatements[p.name] !== undefined ||
            connection.submittedNamedStatements[p.name] !== undefined);
        if (!known) {
          connection.parse({ text: p.text, ...(p.name === undefined ? {} : { name: p.name }) });
          if (p.name !== undefined) connection.submittedNamedStatements[p.name] = p.text;
          this.parses.push(p.name === undefined ? null : { name: p.name, text: p.text });
        }
        connection.bind({
          portal: '',
          ...(p.name === undefined ? {} : { statement: p.name }),
          values: values[i]!,
        });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleRowDescription(msg: { fields: unknown[] }): void {
    this.results[this.current]?.addFields(msg.fields);
  }

  handleDataRow(msg: { fields: unknown[] }): void {
    const result = this.results[this.current];
    if (!result || this.rowError) return;
    try {
      result.addRow(result.parseRow(msg.fields));
    } catch (err) {
      this.rowError = err as Error;
    }
  }

  handleCommandComplete(msg: unknown): void {
    this.results[this.current]?.addCommandComplete(msg);
    this.current += 1;
  }

  handleEmptyQuery(): void {
    this.current += 1;
  }

  handlePortalSuspended(): void {
    // Never: every Execute asks for all rows.
  }

  handleCopyInResponse(connection: Connection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  handleError(err: Error): void {
    this.failedAt = this.current < this.planned.length ? this.current : -1;
    this.finish(err);
  }

  handleReadyForQuery(): void {
    if (this.rowError) {
      this.failedAt = -1;
      this.finish(this.rowError);
      return;
    }
    this.finish(null);
  }

  /**
   * Keeps node-postgres's record of what this connection has parsed true: the Parses answered (ParseComplete
   * comes in order) are parsed, the rest (skipped after an error) are not, and will be sent again.
   */
  private finish(err: Error | null): void {
    const connection = this.connection;
    if (connection) {
      connection.off('parseComplete', this.onParseComplete);
      this.parses.forEach((parse, i) => {
        if (parse === null) return;
        if (i < this.parsed) connection.parsedStatements[parse.name] = parse.text;
        delete connection.submittedNamedStatements[parse.name];
      });
      this.connection = null;
    }
    const done = this.callback;
    this.callback = () => {};
    if (err) done(err);
    else done(null, this.results);
  }
}

/**
 * Sends `statements` in one round trip on `client`; resolves with one result per statement, rows parsed with
 * the client's type parsers. Rejects with the first error; `failedAt` of the returned pipeline says where.
 */
export function sendPipeline(
  client: pg.ClientBase,
  statements: readonly PipelineStatement[],
): { pipeline: StatementPipeline; results: Promise<pg.QueryResult[]> } {
  const named = preparesStatements(client);
  let pipeline!: StatementPipeline;
  const results = new Promise<pg.QueryResult[]>((resolve, reject) => {
    pipeline = new StatementPipeline(
      statements,
      (client as unknown as { _types?: unknown })._types,
      named,
      (err, res) => (err ? reject(err) : resolve(res!)),
    );
  });
  // The client queues it behind its other queries and arms its read timeout around it (query_timeout).
  client.query(pipeline as unknown as pg.QueryConfig);
  return { pipeline, results };
}

/** Runs `statements` in one round trip: one result each, or the first error. */
export const pipeline = (client: pg.ClientBase, statements: readonly PipelineStatement[]) =>
  sendPipeline(client, statements).results;

/** Where a keeping connection's client finds its connection (see `runStatements`). */
const keeper = Symbol('keeping connection');

/**
 * A transaction's connection that keeps the writes whose answers nobody reads (`keep`) and sends them ahead of
 * the next statement that must be answered, in the same round trip. `client` is that connection as the
 * statements take it: a query on it carries the kept writes (a query of several statements, simple protocol,
 * only when nothing is kept). A kept write that fails fails the query that carried it; `failedInKept` says so.
 */
export function keepingConnection(raw: pg.PoolClient) {
  let kept: PipelineStatement[] = [];
  let failedInKept = false;
  let answered = false;

  async function run(statements: readonly PipelineStatement[]): Promise<pg.QueryResult[]> {
    const ahead = kept.length;
    const sent = sendPipeline(raw, [...kept, ...statements]);
    kept = [];
    failedInKept = false;
    try {
      const results = await sent.results;
      answered = true;
      return results.slice(ahead);
    } catch (err) {
      failedInKept = sent.pipeline.failedAt >= 0 && sent.pipeline.failedAt < ahead;
      throw err;
    }
  }

  const connection = {
    client: raw,
    run,
    keep(...statements: PipelineStatement[]): void {
      kept.push(...statements);
    },
    /** The last failure was a kept write's (not the statement asked with them). */
    get failedInKept() {
      return failedInKept;
    },
    /** A round trip of this connection was answered: the server has seen its first statements. */
    get answered() {
      return answered;
    },
  };
  // The real client underneath (its prototype), with `query` sending the kept writes first.
  connection.client = Object.create(raw, {
    query: {
      value(config: string | pg.QueryConfig, values?: unknown[]) {
        if (kept.length === 0 || typeof values === 'function')
          return raw.query(config as never, values as never);
        const statement =
          typeof config === 'string' ? { text: config, ...(values ? { values } : {}) } : config;
        return run([statement]).then(([result]) => result);
      },
    },
    [keeper]: { value: connection },
  }) as pg.PoolClient;
  return connection;
}

export type KeepingConnection = ReturnType<typeof keepingConnection>;

/**
 * Statements in one round trip on a transaction's client: on a keeping connection's client, with its kept
 * writes ahead of them; on any other, by themselves.
 */
export function runStatements(
  client: pg.PoolClient,
  statements: readonly PipelineStatement[],
): Promise<pg.QueryResult[]> {
  const keeping = (client as { [keeper]?: KeepingConnection })[keeper];
  return keeping ? keeping.run(statements) : pipeline(client, statements);
}
