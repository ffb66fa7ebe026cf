import type pg from 'pg';
import type { AuditInput } from '../../domain/audit.js';
import { SalveError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { AuditKey } from '../audit-chain.js';
import { runAsync } from '../program.js';
import { ingest } from '../programs/ingest.js';
import type { IngestInput, IngestResult } from '../types.js';
import { appendAudit, auditHeadStatements, auditInsert, type HeadRow } from './audit.js';
import {
  isConnectionFailure,
  isRerunnable,
  isStaleConnection,
  prepared,
  storeError,
  unavailable,
} from './db.js';
import { batchLocks, createBatchStatements } from './ingest-batch.js';
import { keepingConnection, type PipelineStatement, pipeline } from './pipeline.js';
import { cutConnection, DeadlineExceeded } from './pool.js';
import { pgStatements } from './statements.js';

/**
 * SET LOCAL, as a statement that takes parameters (parsed once per connection). The ingest transaction's
 * prepared statements keep their generic plans: left to choose, PostgreSQL planned the deliveries' insert
 * again for every batch (a custom plan knows how many elements each array holds, so it always looked cheaper),
 * about 0.2 ms of the server's CPU per batch for the same plan shape.
 */
const timeoutsSql = prepared(
  `SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true),
          set_config('plan_cache_mode', 'force_generic_plan', true)`,
);

/** A delivery's result, and the audit records it leaves for the batch to append last. */
type IngestWrite = { result: IngestResult; audit: AuditInput[] };

type Job = {
  input: IngestInput;
  resolve: (r: IngestResult) => void;
  reject: (err: unknown) => void;
  /** performance.now() after which the delivery is answered 503 rather than written. */
  deadline: number;
  settled: boolean;
};

/** The deliveries a batch committed, with their results. */
type Written = Array<{ job: Job; result: IngestResult }>;

type Batch = {
  jobs: Job[];
  startedAt: number;
  client: pg.PoolClient | null;
  /** The transaction's first statement was answered: from here on, a failure may have done something. */
  begun: boolean;
  abandoned: boolean;
};

export type IngestBatcherOptions = {
  maxBatch?: number;
  /** Seals the batch's audit records. */
  auditKey: AuditKey;
  /** A delivery not committed this long after it arrived is answered 503; Alertmanager sends it again. */
  deadlineMs: number;
  /**
   * A batch still running after this long no longer holds back the deliveries queued behind it: they start on
   * another connection (its own transaction waits its turn at the ingest lock, if the stuck one holds it).
   */
  stallMs?: number;
  /** Batches at once, stuck ones included. */
  maxInFlight?: number;
};

/**
 * Group commit for webhook deliveries: deliveries that arrive while a batch is being written share the next
 * transaction, so one fsync and one turn at the audit lock acknowledge many. The batch is first written at once;
 * should one delivery fail, it is written again with each delivery in its own savepoint: one that fails rolls
 * back alone; the others commit. The audit records of the whole batch are
 * appended last, in delivery order, under the audit lock.
 *
 * Batches of every replica run side by side: each takes, first, the locks of all its alerts (by fingerprint
 * and start) and of all the targets they match, in ascending key order, so two batches that share an alert
 * or a target take turns and never deadlock, and batches that share nothing do not wait for each other
 * until the audit lock, taken last, just before the commit. A batch with too many to lock runs alone.
 *
 * Every delivery has a deadline. A batch that outlives the deadlines of its deliveries is abandoned: they
 * are answered 503, its connection is cut (PostgreSQL rolls it back), and the queue moves on.
 */
export function createIngestBatcher(pool: pg.Pool, log: Logger | undefined, options: IngestBatcherOptions) {
  const maxBatch = options.maxBatch ?? 256;
  const { deadlineMs } = options;
  const stallMs = options.stallMs ?? Math.min(1_000, deadlineMs / 4);
  const maxInFlight = options.maxInFlight ?? 3;
  // The ingest transaction never waits on salve between statements: a stall there is a lost replica.
  const idleMs = Math.max(1_000, Math.min(2_000, deadlineMs));
  let queue: Job[] = [];
  const inFlight = new Set<Batch>();
  let recheck: NodeJS.Timeout | null = null;

  const late = () =>
    new SalveError(
      'SALVE_STORE_UNAVAILABLE',
      `PostgreSQL: the delivery was not committed within ${deadlineMs} ms (timed out)`,
      { retryable: true },
    );
  const settle = (job: Job, fn: () => void) => {
    if (job.settled) return;
    job.settled = true;
    fn();
  };

  async function runJob(client: pg.PoolClient, job: Job): Promise<IngestWrite | { failed: unknown }> {
    for (let attempt = 1; ; attempt++) {
      await client.query('SAVEPOINT delivery');
      try {
        const audit: AuditInput[] = [];
        const result = await runAsync(
          ingest(job.input),
          pgStatements(client, options.auditKey, { deferAudit: audit }),
        );
        await client.query('RELEASE SAVEPOINT delivery');
        return { result, audit };
      } catch (err) {
        if (isConnectionFailure(err)) throw err;
        await client.query('ROLLBACK TO SAVEPOINT delivery; RELEASE SAVEPOINT delivery');
        if (isRerunnable(err) && attempt < 4) {
          log?.debug({ attempt }, 'delivery ran into another transaction; writing it again');
          continue;
        }
        return { failed: storeError('committing a delivery', err) };
      }
    }
  }

  /**
   * The transaction's first statements: the server itself gives up on it when its deliveries' time is over,
   * and every lock the batch's deliveries will want is taken at once, in the one order every batch uses.
   */
  function beginning(batch: Batch): { statements: PipelineStatement[]; held: ReadonlySet<bigint> } {
    const remaining = Math.max(
      1,
      Math.round(Math.min(...batch.jobs.map((j) => j.deadline)) - performance.now()),
    );
    const locks = batchLocks(batch.jobs.map((j) => j.input));
    return {
      statements: ['BEGIN', timeoutsSql([String(remaining), String(idleMs)]), ...locks.statements],
      held: locks.held,
    };
  }

  /** Appends the batch's audit records, in delivery order, under the audit lock; then commits. */
  async function commit(batch: Batch, client: pg.PoolClient, audit: readonly AuditInput[]): Promise<void> {
    // Every record carries its delivery's receivedAt already; the fallback time is never used.
    await appendAudit(client, options.auditKey, audit, batch.jobs[0]!.input.receivedAt);
    await client.query('COMMIT');
  }

  /**
   * The batch's deliveries one after another, without a savepoint each, on the batch's statements
   * (ingest-batch.ts: one statement per kind of write for the whole batch), in three round trips when no alert
   * resolves: the beginning, the deliveries and the open heals; the kept writes, the audit lock and the chain's
   * head; the audit records and the commit. Null when a delivery failed: the transaction is rolled back,
   * nothing of it counts, and the batch is written again delivery by delivery, so that only the one that
   * failed fails.
   */
  async function writeAtOnce(batch: Batch, client: pg.PoolClient): Promise<Written | null> {
    const connection = keepingConnection(client);
    const begin = beginning(batch);
    const inputs = batch.jobs.map((j) => j.input);
    const batchStatements = createBatchStatements(connection, inputs, begin.held);
    // One set of statements for the whole batch: its deliveries' audit records are appended together anyway.
    const audit: AuditInput[] = [];
    const statements = batchStatements.statements(
      pgStatements(connection.client, options.auditKey, { deferAudit: audit }),
    );
    const written: Written = [];
    let head: pg.QueryResult<HeadRow> | null = null;
    let auditing = false;
    try {
      await batchStatements.start(begin.statements);
      batch.begun = true;
      for (const job of batch.jobs)
        written.push({ job, result: await runAsync(ingest(job.input), statements) });
      batchStatements.flush();
      auditing = true;
      if (audit.length > 0)
        head = (await connection.run(auditHeadStatements()))[1]! as pg.QueryResult<HeadRow>;
    } catch (err) {
      // The audit lock and head failing is the batch's failure, not one delivery's (as a failed commit is).
      if (isConnectionFailure(err) || (auditing && !connection.failedInKept)) throw err;
      await client.query('ROLLBACK');
      log?.debug(
        { deliveries: batch.jobs.length },
        'a delivery of the batch failed; writing them one by one',
      );
      return null;
    }
    // Every record carries its delivery's receivedAt already; the fallback time is never used.
    const append = head && auditInsert(options.auditKey, audit, batch.jobs[0]!.input.receivedAt, head);
    // A failed insert skips the COMMIT (PostgreSQL ignores the rest until the Sync): the batch rolls back.
    await connection.run([...(append?.statement ? [append.statement] : []), 'COMMIT']);
    return written;
  }

  /** One transaction for the batch. Throws on a connection or transaction failure (nothing committed). */
  async function write(batch: Batch, client: pg.PoolClient): Promise<Written> {
    const atOnce = await writeAtOnce(batch, client);
    if (atOnce !== null) return atOnce;
    await pipeline(client, beginning(batch).statements);
    batch.begun = true;
    const written: Array<{ job: Job } & IngestWrite> = [];
    for (const job of batch.jobs) {
      const outcome = await runJob(client, job);
      if ('failed' in outcome) settle(job, () => job.reject(outcome.failed));
      else written.push({ job, ...outcome });
    }
    await commit(
      batch,
      client,
      written.flatMap((w) => w.audit),
    );
    return written;
  }

  async function runBatch(batch: Batch): Promise<void> {
    for (let fresh = false; ; fresh = true) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (cause) {
        const err = unavailable('committing a delivery (connect)', cause);
        for (const job of batch.jobs) settle(job, () => job.reject(err));
        return;
      }
      if (batch.abandoned) {
        client.release();
        return;
      }
      batch.client = client;
      let broken: Error | undefined;
      try {
        const written = await write(batch, client);
        for (const { job, result } of written) settle(job, () => job.resolve(result));
        return;
      } catch (cause) {
        if (isConnectionFailure(cause)) broken = cause as Error;
        else
          await client.query('ROLLBACK').catch((rollbackErr: Error) => {
            broken = rollbackErr;
          });
        // A pooled connection found dead at once: nothing was sent that counts; once more on a fresh one.
        if (!fresh && !batch.abandoned && !batch.begun && isStaleConnection(cause)) continue;
        const err = unavailable('committing deliveries', cause);
        for (const job of batch.jobs) settle(job, () => job.reject(err));
        return;
      } finally {
        batch.client = null;
        client.release(broken);
      }
    }
  }

  function abandon(batch: Batch): void {
    if (batch.abandoned) return;
    batch.abandoned = true;
    inFlight.delete(batch);
    const err = late();
    for (const job of batch.jobs) settle(job, () => job.reject(err));
    if (batch.client) cutConnection(batch.client, new DeadlineExceeded('committing deliveries', deadlineMs));
    log?.debug({ deliveries: batch.jobs.length }, 'delivery batch abandoned at its deadline');
    next();
  }

  function start(jobs: Job[]): void {
    const batch: Batch = { jobs, startedAt: performance.now(), client: null, begun: false, abandoned: false };
    inFlight.add(batch);
    const due = Math.min(...jobs.map((j) => j.deadline)) - batch.startedAt;
    const timer = setTimeout(() => abandon(batch), Math.max(0, due));
    void runBatch(batch).finally(() => {
      clearTimeout(timer);
      if (!inFlight.delete(batch)) return;
      next();
    });
  }

  function next(): void {
    if (recheck) {
      clearTimeout(recheck);
      recheck = null;
    }
    const now = performance.now();
    // Deliveries whose time ran out while queued are answered now, not written late.
    queue = queue.filter((job) => {
      if (job.deadline > now) return true;
      settle(job, () => job.reject(late()));
      return false;
    });
    if (queue.length === 0) return;
    if (inFlight.size > 0) {
      const youngest = Math.max(...[...inFlight].map((b) => b.startedAt));
      if (now - youngest < stallMs || inFlight.size >= maxInFlight) {
        // Look again when the batches ahead count as stuck (or the oldest queued delivery runs out of time).
        const wake = Math.min(youngest + stallMs, queue[0]!.deadline) - now;
        recheck = setTimeout(next, Math.max(1, wake));
        return;
      }
    }
    start(queue.slice(0, maxBatch));
    queue = queue.slice(maxBatch);
    if (queue.length > 0) next();
  }

  return {
    ingest(input: IngestInput): Promise<IngestResult> {
      return new Promise<IngestResult>((resolve, reject) => {
        queue.push({ input, resolve, reject, deadline: performance.now() + deadlineMs, settled: false });
        // Deliveries arriving in the same turn of the event loop go out together.
        if (queue.length === 1) setImmediate(next);
      });
    },
  };
}
