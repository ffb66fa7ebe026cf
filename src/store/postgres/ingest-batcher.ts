import type pg from 'pg';
import type { Logger } from '../../observability/logger.js';
import type { AuditKey } from '../audit-chain.js';
import type { IngestInput, IngestResult } from '../types.js';
import { appendAudit } from './audit.js';
import { isRerunnable, storeError, unavailable } from './db.js';
import { type IngestWrite, ingestDelivery } from './ingest.js';
import { lockSpace, storeLocks } from './locks.js';

type Job = { input: IngestInput; resolve: (r: IngestResult) => void; reject: (err: unknown) => void };

export type IngestBatcherOptions = { maxBatch?: number; auditKey: AuditKey };

/**
 * Group commit for webhook deliveries: deliveries that arrive while a batch is being written share the next
 * transaction, so one fsync and one turn at the audit lock acknowledge many. Each delivery runs in its own
 * savepoint: one that fails rolls back alone; the others commit. The audit records of the whole batch are
 * appended last, in delivery order, under the audit lock.
 *
 * Batches take turns across every replica (one advisory lock). Two batches side by side would take the
 * locks of their deliveries (alert identities, targets) one delivery after another, in no common order,
 * and deadlock; the audit lock orders every write anyway, so the turns cost little.
 */
export function createIngestBatcher(pool: pg.Pool, log: Logger | undefined, options: IngestBatcherOptions) {
  const maxBatch = options.maxBatch ?? 256;
  let queue: Job[] = [];
  let writing = false;

  async function runJob(client: pg.PoolClient, job: Job): Promise<IngestWrite | { failed: unknown }> {
    for (let attempt = 1; ; attempt++) {
      await client.query('SAVEPOINT delivery');
      try {
        const written = await ingestDelivery(client, job.input);
        await client.query('RELEASE SAVEPOINT delivery');
        return written;
      } catch (err) {
        await client.query('ROLLBACK TO SAVEPOINT delivery; RELEASE SAVEPOINT delivery');
        if (isRerunnable(err) && attempt < 4) {
          log?.debug({ attempt }, 'delivery ran into another transaction; writing it again');
          continue;
        }
        return { failed: storeError('committing a delivery', err) };
      }
    }
  }

  async function runBatch(batch: Job[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      const err = unavailable('committing a delivery (connect)', cause);
      for (const job of batch) job.reject(err);
      return;
    }
    const written: Array<{ job: Job; write: IngestWrite }> = [];
    const failed = new Set<Job>();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [lockSpace, storeLocks.ingest]);
      for (const job of batch) {
        const outcome = await runJob(client, job);
        if ('failed' in outcome) {
          failed.add(job);
          job.reject(outcome.failed);
        } else written.push({ job, write: outcome });
      }
      // Every record carries its delivery's receivedAt already; the fallback time is never used.
      const audit = written.flatMap(({ write }) => write.audit);
      await appendAudit(client, options.auditKey, audit, batch[0]!.input.receivedAt);
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr;
      });
      const err = unavailable('committing deliveries', cause);
      for (const job of batch) if (!failed.has(job)) job.reject(err);
      return;
    } finally {
      client.release(broken);
    }
    for (const { job, write } of written) job.resolve(write.result);
  }

  function next(): void {
    if (writing || queue.length === 0) return;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(maxBatch);
    writing = true;
    void runBatch(batch).finally(() => {
      writing = false;
      next();
    });
  }

  return {
    ingest(input: IngestInput): Promise<IngestResult> {
      return new Promise<IngestResult>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        // Deliveries arriving in the same turn of the event loop go out together.
        if (queue.length === 1) setImmediate(next);
      });
    },
  };
}
