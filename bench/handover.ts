/**
 * What handing a delivery to the SQLite writer thread costs, and its result back (src/store/sqlite/ingest-wire.ts):
 * the CPU time of each thread per delivery, for the delivery as structured clone carries it (`clone`: what
 * crossed before, and what still crosses for a delivery that is not plain data) and as one packed string
 * (`packed`). Results come back cloned either way. The same 10-alert deliveries as the ingestion runs, matched against the example policies; the
 * results are those an in-memory store gives for them. CPU time per thread (Linux schedstat), not throughput:
 * the machine is shared. `npx tsx bench/handover.ts [deliveries] [rounds]`.
 */
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { normaliseAlert, webhookPayloadSchema } from '../src/alerts/schema.js';
import { systemClock } from '../src/clock.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { ingestForWriter, packIngest } from '../src/store/sqlite/ingest-wire.js';
import { startBundledThread } from '../src/store/sqlite/thread.js';
import type { IngestInput, IngestResult } from '../src/store/types.js';
import { createDeliveryStream } from './deliveries.js';
import type { FromThread, HandoverCodec, ToThread } from './handover-thread.js';
import { threadCpuNanos } from './handover-thread.js';
import { examplePolicyMatcher } from './ingest-inputs.js';
import { median } from './stats.js';

const deliveries = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 9);

/** The receiving thread, bundled as salve's own threads are (a worker inherits no TypeScript loader). */
const startThread = () => startBundledThread(fileURLToPath(new URL('./handover-thread.ts', import.meta.url)));

async function inputsAndResults(): Promise<{ inputs: IngestInput[]; results: IngestResult[] }> {
  const matcher = await examplePolicyMatcher();
  const stream = createDeliveryStream({ alertsPerDelivery: 10, redeliveryRatio: 0, salt: 11 });
  const inputs = Array.from({ length: deliveries }, () => {
    const p = webhookPayloadSchema.parse(JSON.parse(stream.next().body));
    return matcher.inputOf(p, p.alerts.map(normaliseAlert));
  });
  const store = openSqliteStore({ file: ':memory:', clock: systemClock() });
  try {
    const results: IngestResult[] = [];
    for (const input of inputs) results.push(await store.ingest(input));
    return { inputs, results };
  } finally {
    await store.close();
  }
}

const next = (thread: Worker, type: FromThread['type']) =>
  new Promise<FromThread>((resolve) => {
    const on = (m: FromThread) => {
      if (m.type !== type) return;
      thread.off('message', on);
      resolve(m);
    };
    thread.on('message', on);
  });

/** One round: every delivery to the thread, `batch` per turn, then every result back. Microseconds per delivery. */
async function round(
  thread: Worker,
  codec: HandoverCodec,
  batch: number,
  data: Awaited<ReturnType<typeof inputsAndResults>>,
) {
  const { inputs, results } = data;
  const turns = Math.ceil(inputs.length / batch);
  thread.postMessage({ type: 'start', turns } satisfies ToThread);
  const received = next(thread, 'received');
  const before = threadCpuNanos();
  for (let t = 0; t < turns; t++) {
    const calls = inputs.slice(t * batch, (t + 1) * batch).map((input, i) => {
      const packed = codec === 'packed' ? packIngest(input) : null;
      return packed === null
        ? { id: t * 1000 + i, args: [ingestForWriter(input)] }
        : { id: t * 1000 + i, packed };
    });
    thread.postMessage({ type: 'calls', calls } satisfies ToThread);
  }
  const send = threadCpuNanos() - before;
  const receive = (await received) as Extract<FromThread, { type: 'received' }>;

  const turnsOfResults = Array.from({ length: turns }, (_, t) => results.slice(t * batch, (t + 1) * batch));
  let answered = 0;
  const done = new Promise<void>((resolve) => {
    const on = (m: FromThread) => {
      if (m.type !== 'answers') return;
      if (++answered === turns) {
        thread.off('message', on);
        resolve();
      }
    };
    thread.on('message', on);
  });
  const sent = next(thread, 'received');
  // The results cross to the thread first, untimed: it answers them as the writer thread would.
  thread.postMessage({ type: 'answer', results: turnsOfResults } satisfies ToThread);
  const mainBefore = threadCpuNanos();
  await done;
  const answersIn = threadCpuNanos() - mainBefore;
  const answersOut = ((await sent) as Extract<FromThread, { type: 'received' }>).nanos;
  const us = (nanos: number) => nanos / 1000 / inputs.length;
  return {
    sendCalls: us(send),
    receiveCalls: us(receive.nanos),
    sendAnswers: us(answersOut),
    receiveAnswers: us(answersIn),
  };
}

async function main(): Promise<void> {
  const data = await inputsAndResults();
  const thread = startThread();
  try {
    process.stdout.write(
      `${deliveries} deliveries of 10 new alerts; median of ${rounds} rounds; CPU µs per delivery, per thread\n`,
    );
    process.stdout.write(
      '| batch | codec | event loop: send | writer: receive | writer: answer | event loop: result | event loop | writer | both |\n|---|---|---|---|---|---|---|---|---|\n',
    );
    for (const batch of [1, 10]) {
      for (const codec of ['clone', 'packed'] as const) {
        const runs: Array<Awaited<ReturnType<typeof round>>> = [];
        for (let r = 0; r < rounds; r++) runs.push(await round(thread, codec, batch, data));
        const m = (k: keyof (typeof runs)[number]) => median(runs.map((x) => x[k]));
        const loop = m('sendCalls') + m('receiveAnswers');
        const writer = m('receiveCalls') + m('sendAnswers');
        const cells = [
          m('sendCalls'),
          m('receiveCalls'),
          m('sendAnswers'),
          m('receiveAnswers'),
          loop,
          writer,
          loop + writer,
        ];
        process.stdout.write(`| ${batch} | ${codec} | ${cells.map((c) => c.toFixed(1)).join(' | ')} |\n`);
      }
    }
  } finally {
    await thread.terminate();
  }
}

await main();
