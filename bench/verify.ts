import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadOrCreateAuditKey } from '../src/audit/key.js';
import { systemClock } from '../src/clock.js';
import type { AuditInput } from '../src/domain/audit.js';
import {
  auditColumns,
  auditInsertColumns,
  type ChainHead,
  GENESIS,
  headOf,
  sealRecords,
} from '../src/store/audit-chain.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { startServer } from './child.js';
import { createDeliveryStream } from './deliveries.js';
import { drive } from './load.js';
import type { BenchOptions } from './options.js';
import { percentile } from './stats.js';
import { benchViewerToken, createWorkspace } from './workspace.js';

export type VerifyRun = {
  records: number;
  /** Webhook latency with nothing else going on, then while full verifies of the chain run back to back. */
  aloneP50Ms: number;
  aloneP99Ms: number;
  duringP50Ms: number;
  duringP99Ms: number;
  deliveriesPerSecondAlone: number;
  deliveriesPerSecondDuring: number;
  /** Full verifies that finished during the loaded phase, and how long each took. */
  verifies: number;
  verifySeconds: number[];
  /** Whether every verify found the chain intact (it must: nothing tampers with it here). */
  verifiedOk: boolean;
};

/** A delivery's audit record, about the size salve writes for one. */
function record(i: number): AuditInput {
  return {
    type: 'delivery.received',
    actor: 'alertmanager:salve',
    healId: null,
    policy: null,
    target: null,
    outcome: 'accepted',
    data: {
      delivery: i,
      groupKey: `{}:{alertname="ModelServingErrorRate",namespace="ml-prod",deployment="scorer-${i % 500}"}`,
      alerts: 10,
      new: 10,
      deduplicated: 0,
    },
  };
}

/**
 * The chain salve would have after a long life: `count` records sealed with the workspace's key, written in
 * big transactions (the bench's own shortcut; salve appends them one delivery at a time).
 */
async function fillChain(dir: string, count: number): Promise<void> {
  const { key } = loadOrCreateAuditKey(path.join(dir, 'audit.key'), { generate: true });
  const file = path.join(dir, 'salve.db');
  const store = openSqliteStore({ file, clock: systemClock(), auditKey: key });
  await store.close();
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    `INSERT INTO audit (${auditInsertColumns}) VALUES (${auditInsertColumns.replace(/\w+/g, '?')})`,
  );
  let head: ChainHead = GENESIS;
  const at = new Date().toISOString();
  const batch = 20_000;
  for (let start = 0; start < count; start += batch) {
    const inputs = Array.from({ length: Math.min(batch, count - start) }, (_, i) => record(start + i));
    const sealed = sealRecords(inputs, at, head, key);
    db.transaction(() => {
      for (const r of sealed) insert.run(...auditColumns(r));
    })();
    head = headOf(sealed, head);
  }
  db.close();
}

async function verifyLoop(url: string, signal: AbortSignal, runs: Array<{ seconds: number; ok: boolean }>) {
  while (!signal.aborted) {
    const started = performance.now();
    const res = await fetch(`${url}/v1/audit/verify?full=true`, {
      headers: { authorization: `Bearer ${benchViewerToken}` },
    });
    const body = (await res.json()) as { ok?: boolean };
    runs.push({ seconds: (performance.now() - started) / 1000, ok: res.status === 200 && body.ok === true });
  }
}

/**
 * Webhook latency beside a full verify of a chain of `records`: first the usual load alone, then the same
 * load while GET /v1/audit/verify?full=true walks the whole chain again and again. The walk yields to the
 * event loop between slices, so deliveries are answered between them.
 */
export async function benchVerify(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<VerifyRun> {
  const workspace = createWorkspace(options.dir, 'verify');
  try {
    progress(`verify: sealing ${options.verifyRecords.toLocaleString('en')} audit records`);
    await fillChain(workspace.dir, options.verifyRecords);
    const server = await startServer({
      kind: 'salve',
      dir: workspace.dir,
      logLevel: options.logLevels[0] ?? 'info',
    });
    try {
      const stream = createDeliveryStream({
        alertsPerDelivery: options.alertsPerDelivery,
        redeliveryRatio: 0,
        salt: 300,
      });
      const base = { url: server.url, stream, connections: options.connections };
      if (options.warmup > 0) await drive({ ...base, duration: options.warmup });
      progress(`verify: webhook load alone (${options.duration}s)`);
      const alone = await drive({ ...base, duration: options.duration });
      progress(`verify: the same load while verifying the whole chain (${options.duration}s or one verify)`);
      const runs: Array<{ seconds: number; ok: boolean }> = [];
      const stop = new AbortController();
      const verifying = verifyLoop(server.url, stop.signal, runs);
      const during = await drive({ ...base, duration: options.duration });
      stop.abort();
      await verifying;
      return {
        records: options.verifyRecords,
        aloneP50Ms: percentile(alone.latenciesMs, 50),
        aloneP99Ms: percentile(alone.latenciesMs, 99),
        duringP50Ms: percentile(during.latenciesMs, 50),
        duringP99Ms: percentile(during.latenciesMs, 99),
        deliveriesPerSecondAlone: alone.acknowledged / alone.seconds,
        deliveriesPerSecondDuring: during.acknowledged / during.seconds,
        verifies: runs.length,
        verifySeconds: runs.map((r) => r.seconds),
        verifiedOk: runs.every((r) => r.ok),
      };
    } finally {
      await server.kill9();
    }
  } finally {
    workspace.remove();
  }
}
