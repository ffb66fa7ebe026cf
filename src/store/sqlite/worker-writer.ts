import type { Worker } from 'node:worker_threads';
import { errorFromWire, SalveError } from '../../errors.js';
import type { AuditKey } from '../audit-chain.js';
import type { IngestInput } from '../types.js';
import { ingestForWriter, packIngest } from './ingest-wire.js';
import { startSqliteThread } from './thread.js';
import type { SqliteWriter } from './write-ops.js';
import type { FromWriter, ToWriter, WriteCall, WriterData } from './writer-protocol.js';

type Waiting = { resolve: (value: unknown) => void; reject: (err: unknown) => void };

/** A delivery packed into one string, or cloned when it is not plain data (src/store/sqlite/ingest-wire.ts). */
function ingestCall(id: number, input: IngestInput): WriteCall {
  const packed = packIngest(input);
  return packed === null
    ? { id, op: 'ingest', args: [ingestForWriter(input)] }
    : { id, op: 'ingest', packed };
}

/**
 * The SQLite writes in a thread of their own, which owns the write connection (src/store/sqlite/writer-worker.ts):
 * parsing and matching keep the event loop while the statements and the commit's fsync run beside it. The writes
 * of one turn of the event loop go as one message (a delivery packed into one string: ingest-wire.ts); the thread
 * commits whatever has arrived in one transaction and answers each write after its commit. A thread that dies
 * fails the writes it held (their outcome is unknown: the sender retries, and identities deduplicate); the next
 * write starts another.
 */
export function startWorkerWriter(file: string, auditKey: AuditKey): SqliteWriter {
  const data: WriterData = { file, auditSecret: new Uint8Array(auditKey.secret), auditKeyId: auditKey.id };
  const waiting = new Map<number, Waiting>();
  let queue: WriteCall[] = [];
  let scheduled = false;
  let nextId = 1;
  let closing: Promise<void> | null = null;
  let worker: Worker | null = null;

  function start(): Worker {
    const thread = startSqliteThread('writer-worker', data);
    let failure: unknown = null;
    thread.on('message', (message: FromWriter) => {
      if (message.type !== 'answers') return;
      for (const answer of message.answers) {
        const w = waiting.get(answer.id);
        if (w === undefined) continue;
        waiting.delete(answer.id);
        if (answer.ok) w.resolve(answer.value);
        else w.reject(errorFromWire(answer.error));
      }
      // An idle writer does not keep the process alive; one with writes in flight does.
      if (waiting.size === 0) thread.unref();
    });
    thread.on('error', (err) => {
      failure = err;
    });
    thread.on('exit', (code) => {
      if (worker === thread) worker = null;
      if (waiting.size === 0) return;
      const why = failure instanceof Error ? failure.message : `exit code ${code}`;
      const err = new SalveError('SALVE_STORE_UNAVAILABLE', `the SQLite writer thread stopped (${why})`, {
        cause: failure ?? undefined,
        retryable: true,
      });
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    });
    return thread;
  }

  function flush(): void {
    scheduled = false;
    const calls = queue;
    queue = [];
    if (calls.length === 0) return;
    worker ??= start();
    worker.ref();
    try {
      worker.postMessage({ type: 'calls', calls } satisfies ToWriter);
    } catch (err) {
      // An argument no thread can share: a bug in the caller, answered as such, for each write.
      for (const call of calls) {
        try {
          worker.postMessage({ type: 'calls', calls: [call] } satisfies ToWriter);
        } catch {
          waiting.get(call.id)?.reject(err);
          waiting.delete(call.id);
        }
      }
    }
  }

  worker = start();
  worker.unref();

  return {
    call(op, ...args) {
      if (closing !== null)
        return Promise.reject(new SalveError('SALVE_STORE_UNAVAILABLE', 'the SQLite store is closed'));
      return new Promise((resolve, reject) => {
        const id = nextId++;
        let call: WriteCall;
        try {
          call = op === 'ingest' ? ingestCall(id, args[0] as IngestInput) : { id, op, args };
        } catch (err) {
          // Data the store cannot keep (labels with a cycle or a bigint): this write's error alone.
          reject(err);
          return;
        }
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        queue.push(call);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    close() {
      closing ??= (async () => {
        if (queue.length > 0) flush();
        const thread = worker;
        if (thread === null) return;
        thread.ref();
        const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
        thread.postMessage({ type: 'close' } satisfies ToWriter);
        await exited;
      })();
      return closing;
    },
  };
}
