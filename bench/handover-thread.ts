// The receiving side of bench/handover.ts, in a thread of its own as the SQLite writer is: it takes each turn's
// deliveries as the writer thread takes them, then answers their results as it does (cloned), and reports the
// CPU time this thread spent on each.
import fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { unpackIngest } from '../src/store/sqlite/ingest-wire.js';
import type { IngestInput, IngestResult } from '../src/store/types.js';

export type HandoverCodec = 'clone' | 'packed';
export type ToThread =
  | { type: 'start'; turns: number }
  | { type: 'calls'; calls: Array<{ id: number; args?: unknown[]; packed?: string }> }
  | { type: 'answer'; results: IngestResult[][] };
export type FromThread =
  | { type: 'received'; nanos: number; sink: number }
  | { type: 'answers'; answers: unknown };

/** This thread's time on a CPU, in nanoseconds (Linux: the first field of its schedstat). */
export const threadCpuNanos = (): number =>
  Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);

const port = parentPort;
if (port !== null) {
  let left = 0;
  let started = 0;
  let sink = 0;
  port.on('message', (message: ToThread) => {
    if (message.type === 'start') {
      left = message.turns;
      sink = 0;
      // From before the first turn is taken off the port: its deserialisation is counted.
      started = threadCpuNanos();
      return;
    }
    if (message.type === 'calls') {
      for (const call of message.calls) {
        const input = (call.packed === undefined ? call.args![0] : unpackIngest(call.packed)) as IngestInput;
        sink += input.alerts.length;
      }
      if (--left === 0) port.postMessage({ type: 'received', nanos: threadCpuNanos() - started, sink });
      return;
    }
    // The answers of every turn, sent as the writer sends them; the time is the sender's to report.
    const before = threadCpuNanos();
    for (const [turn, results] of message.results.entries()) {
      const answers = results.map((value, i) => ({ id: turn * 1000 + i, ok: true, value }));
      port.postMessage({ type: 'answers', answers } satisfies FromThread);
    }
    port.postMessage({ type: 'received', nanos: threadCpuNanos() - before, sink: 0 } satisfies FromThread);
  });
}
