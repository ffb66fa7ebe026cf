import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AuditCheckpoint, AuditVerification, Store } from '../store/types.js';

export type AuditAnchorDeps = {
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** Names the key that seals the chain (never the key). */
  keyId: string;
  intervalMs: number;
  /** SALVE_AUDIT_CHECKPOINT_URL: checkpoints are POSTed there as JSON. */
  sinkUrl?: string;
  fetch?: typeof fetch;
};

export type AuditAnchor = ReturnType<typeof createAuditAnchor>;

/** The number a Prometheus gauge can hold exactly: the first 48 bits of the head hash. */
export function headPrefix(head: string): number {
  return Number.parseInt(head.slice(0, 12), 16);
}

/**
 * Anchors the audit chain outside the database. Every interval it verifies the records added since the last
 * verified checkpoint (incremental: the walk yields to the event loop as it goes) and, when they hold,
 * publishes the new head as a checkpoint: a log line, two gauges and optionally an HTTP sink. Someone who can
 * write the database can delete or rewrite records, but cannot change what was already published:
 * `salve audit --verify --expect SEQ:HEAD` (and `GET /v1/audit/verify?expect=`) compare the chain with it.
 */
export function createAuditAnchor(deps: AuditAnchorDeps) {
  const { store, log, metrics } = deps;
  let verified: (AuditCheckpoint & { keyedFrom: number | null }) | null = null;
  let published: AuditCheckpoint | null = null;
  let incremental: Promise<AuditVerification> | null = null;
  const whole = new Map<string, Promise<AuditVerification>>();
  let stopping: AbortController | null = null;
  let loop: Promise<void> | null = null;

  function judge(result: AuditVerification): AuditVerification {
    metrics.auditBrokenRecords.set(result.problemCount);
    if (result.ok) return result;
    log.error(
      {
        audit: {
          problemCount: result.problemCount,
          problems: result.problems.slice(0, 20),
          from: result.from,
          keyId: deps.keyId,
        },
      },
      `audit chain broken: ${result.problemCount} record(s) changed, missing or unreadable (first: #${result.brokenAt} ${result.reason})`,
    );
    return result;
  }

  /** The records added since the last verified checkpoint; callers at the same time share one walk. */
  function verifyNew(): Promise<AuditVerification> {
    incremental ??= (async () => {
      try {
        const result = judge(
          await store.verifyAudit(verified ? { from: verified } : { requireRecords: true }),
        );
        if (result.ok) verified = { seq: result.headSeq, head: result.head, keyedFrom: result.keyedFrom };
        return result;
      } finally {
        incremental = null;
      }
    })();
    return incremental;
  }

  /** The whole chain, optionally against a published checkpoint; the same request at once shares one walk. */
  function verifyAll(expect?: AuditCheckpoint): Promise<AuditVerification> {
    const id = expect ? `${expect.seq}:${expect.head}` : '';
    let run = whole.get(id);
    if (!run) {
      run = store
        .verifyAudit({ requireRecords: true, ...(expect ? { expect } : {}) })
        .then(judge)
        .finally(() => whole.delete(id));
      whole.set(id, run);
    }
    return run;
  }

  async function sink(checkpoint: AuditCheckpoint): Promise<void> {
    if (!deps.sinkUrl) return;
    const body = JSON.stringify({
      service: 'salve',
      seq: checkpoint.seq,
      head: checkpoint.head,
      keyId: deps.keyId,
      at: deps.clock.now().toISOString(),
    });
    try {
      const res = await (deps.fetch ?? fetch)(deps.sinkUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (err) {
      metrics.auditCheckpointSinkFailures.inc();
      // The next checkpoint supersedes this one: nothing is queued, the log and the metrics still have it.
      log.warn({ err: (err as Error).message, seq: checkpoint.seq }, 'audit checkpoint sink refused');
    }
  }

  /** Verifies what is new; publishes a checkpoint when the chain holds and has grown. */
  async function checkpoint(): Promise<AuditVerification> {
    const result = await verifyNew();
    if (!result.ok || result.headSeq === 0) return result;
    if (published?.seq === result.headSeq && published.head === result.head) return result;
    published = { seq: result.headSeq, head: result.head };
    metrics.auditCheckpointSeq.set(published.seq);
    metrics.auditCheckpointHead.set(headPrefix(published.head));
    log.info(
      { audit: { checkpoint: `${published.seq}:${published.head}`, keyId: deps.keyId } },
      'audit checkpoint',
    );
    await sink(published);
    return result;
  }

  return {
    verifyNew,
    verifyAll,
    checkpoint,
    published: () => published,
    start(): void {
      if (loop) return;
      stopping = new AbortController();
      const signal = stopping.signal;
      loop = (async () => {
        while (!signal.aborted) {
          await checkpoint().catch((err) => log.error({ err }, 'audit checkpoint failed'));
          await deps.clock.sleep(deps.intervalMs, signal).catch(() => undefined);
        }
      })();
    },
    async stop(): Promise<void> {
      stopping?.abort();
      await loop;
      loop = null;
      await incremental?.catch(() => undefined);
    },
  };
}
