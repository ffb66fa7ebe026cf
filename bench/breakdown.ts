/**
 * Where a delivery's time goes, step by step, measured in this process on the same 10-alert bodies as the
 * ingestion runs: the steps of the webhook handler (src/http/routes/webhook.ts) one by one, then the store's
 * ingest with durable commits in batches, as the group-commit batcher forms them under load.
 */
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fastWebhookPayload } from '../src/alerts/fast-parse.js';
import { normaliseAlert, webhookPayloadSchema } from '../src/alerts/schema.js';
import { systemClock } from '../src/clock.js';
import { batchedDestination, createLogger } from '../src/observability/logger.js';
import { bodyDigest } from '../src/service/delivery-memo.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { IngestInput } from '../src/store/types.js';
import { createDeliveryStream } from './deliveries.js';
import { examplePolicyMatcher } from './ingest-inputs.js';
import { median } from './stats.js';

/** Wall-clock time and this process's CPU time per delivery: on a busy machine the CPU figure moves less. */
export type BreakdownRow = { step: string; microsPerDelivery: number; cpuMicrosPerDelivery: number };
type Cost = Omit<BreakdownRow, 'step'>;

const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const BODIES = 400;
const ROUNDS = 5;

function timeEach<T>(items: readonly T[], fn: (item: T) => unknown): Cost {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    const startCpu = cpuMicros();
    for (const item of items) fn(item);
    cpu.push((cpuMicros() - startCpu) / items.length);
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / items.length);
  }
  return { microsPerDelivery: median(wall), cpuMicrosPerDelivery: median(cpu) };
}

/** One timed run of `fn` over `count` deliveries. */
async function timeOnce(count: number, fn: () => Promise<void>): Promise<Cost> {
  const start = process.hrtime.bigint();
  const startCpu = cpuMicros();
  await fn();
  return {
    microsPerDelivery: Number(process.hrtime.bigint() - start) / 1000 / count,
    cpuMicrosPerDelivery: (cpuMicros() - startCpu) / count,
  };
}

/** Store ingest, `batch` deliveries per transaction, as the batcher does for writes queued in one turn. */
async function storeMicros(
  dir: string,
  inputs: IngestInput[],
  batch: number,
  writer: 'worker' | 'event-loop',
): Promise<Cost> {
  const store = openSqliteStore({
    file: path.join(dir, `batch-${batch}-${writer}.db`),
    clock: systemClock(),
    writer,
  });
  try {
    await store.migrate();
    return await timeOnce(inputs.length, async () => {
      for (let i = 0; i < inputs.length; i += batch) {
        await Promise.all(inputs.slice(i, i + batch).map((input) => store.ingest(input)));
      }
    });
  } finally {
    await store.close();
  }
}

/**
 * What a delivery's request log costs at `info`: the one `request completed` line salve writes per request
 * (src/http/request-log.ts), with the webhook's facts, on the request's child logger.
 */
async function requestLogMicros(file: string, count: number): Promise<Cost> {
  // The same batched asynchronous destination salve logs to (src/observability/logger.ts), on a file.
  const destination = batchedDestination(file);
  await once(destination, 'ready');
  const log = createLogger({
    level: 'info',
    destination: destination as unknown as NodeJS.WritableStream,
  });
  const requests = Array.from({ length: count }, (_, i) => i);
  const micros = timeEach(requests, (i) => {
    log.child({ reqId: `req-${i}` }).info(
      {
        method: 'POST',
        url: '/v1/alertmanager',
        statusCode: 202,
        responseTime: 3.2,
        remoteAddress: '127.0.0.1',
        delivery: i,
        alerts: { received: 10, new: 10, deduplicated: 0 },
        heals: { opened: 0, attached: 1 },
        refused: 0,
        deferred: 0,
      },
      'request completed',
    );
  });
  destination.flushSync();
  destination.end();
  return micros;
}

export async function benchBreakdown(dir: string, progress: (line: string) => void): Promise<BreakdownRow[]> {
  progress('breakdown: webhook steps and store commits');
  const matcher = await examplePolicyMatcher();
  const stream = createDeliveryStream({ alertsPerDelivery: 10, redeliveryRatio: 0, salt: 7 });
  const bodies = Array.from({ length: BODIES }, () => stream.next().body);
  const bytes = bodies.map((b) => Buffer.from(b));
  const parsed = bodies.map((b) => JSON.parse(b) as unknown);
  const payloads = parsed.map((p) => webhookPayloadSchema.parse(p));
  const normalised = payloads.map((p) => p.alerts.map(normaliseAlert));
  const inputs: IngestInput[] = payloads.map((p, i) => matcher.inputOf(p, normalised[i]!));
  const rows: BreakdownRow[] = [
    {
      step: 'JSON.parse of the body (the bare route does this too)',
      ...timeEach(bodies, (b) => JSON.parse(b)),
    },
    {
      step: 'SHA-256 of the body (the same bytes again are answered by it, instead of the steps below)',
      ...timeEach(bytes, (b) => bodyDigest(b)),
    },
    {
      step: 'compiled validator: fastWebhookPayload (what the webhook runs)',
      ...timeEach(parsed, (p) => fastWebhookPayload(p)),
    },
    {
      step: 'zod: webhookPayloadSchema.safeParse (only when the above declines)',
      ...timeEach(parsed, (p) => webhookPayloadSchema.safeParse(p)),
    },
    {
      step: 'normaliseAlert x10',
      ...timeEach(payloads, (p) => p.alerts.map(normaliseAlert)),
    },
    {
      step: 'evaluateAlert x10 (example policies; half the groups match)',
      ...timeEach(normalised, (alerts) => alerts.map(matcher.evaluate)),
    },
  ];
  const storeDir = fs.mkdtempSync(path.join(dir, 'salve-bench-breakdown-'));
  try {
    rows.push({
      step: 'pino at info: the one request line salve writes, on a child logger (to a file)',
      ...(await requestLogMicros(path.join(storeDir, 'log.ndjson'), bodies.length)),
    });
    for (const writer of ['worker', 'event-loop'] as const) {
      for (const batch of [1, 10]) {
        rows.push({
          step: `store.ingest, new alerts, ${batch} deliveries per commit (synchronous=FULL), writer ${writer === 'worker' ? 'thread' : 'on the event loop'}`,
          ...(await storeMicros(storeDir, inputs, batch, writer)),
        });
      }
    }
    // The same deliveries again, into a store that has them: the re-delivery path.
    const again = openSqliteStore({
      file: path.join(storeDir, 'batch-10-worker.db'),
      clock: systemClock(),
    });
    try {
      rows.push({
        step: 'store.ingest, re-deliveries (all known), 10 per commit',
        ...(await timeOnce(inputs.length, async () => {
          for (let i = 0; i < inputs.length; i += 10) {
            await Promise.all(inputs.slice(i, i + 10).map((input) => again.ingest(input)));
          }
        })),
      });
    } finally {
      await again.close();
    }
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
  return rows;
}
