// The SQLite writer thread: it owns the write connection, so the commits' fsync and the store's statements run
// beside the event loop instead of on it. Started by src/store/sqlite/worker-writer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { errorToWire } from '../../errors.js';
import { createSqliteAudit } from './audit.js';
import { writerCheckpointPages } from './checkpointer.js';
import { openConnection } from './connection.js';
import { watchDatabaseFiles } from './file-identity.js';
import { unpackIngest } from './ingest-wire.js';
import { createThreadWriter } from './thread-writer.js';
import type { FromWriter, ToWriter, WriteAnswer, WriteCall, WriterData } from './writer-protocol.js';

const port = parentPort;
if (port === null) throw new Error('writer-worker.ts runs as a worker thread');
const data = workerData as WriterData;
const db = openConnection(data.file);
// The checkpoint thread copies the WAL beside this one; this connection checkpoints only at the WAL's bound.
db.pragma(`wal_autocheckpoint = ${writerCheckpointPages}`);
// The files this connection has open, watched from now on (issue 11: a deleted or replaced file is never written).
const files = watchDatabaseFiles(data.file);
const audit = createSqliteAudit(db, { secret: Buffer.from(data.auditSecret), id: data.auditKeyId });
const writer = createThreadWriter(db, audit, () => files.check());

const send = (message: FromWriter) => port.postMessage(message);

/** Answers that cannot be cloned (a value no thread can share) are answered as errors, one by one. */
function answer(answers: WriteAnswer[]): void {
  try {
    send({ type: 'answers', answers });
  } catch {
    for (const a of answers) {
      try {
        send({ type: 'answers', answers: [a] });
      } catch (err) {
        send({ type: 'answers', answers: [{ id: a.id, ok: false, error: errorToWire(err) }] });
      }
    }
  }
}

/** Queues a write on the connection's batcher, in the order the calls arrived. */
function run(call: WriteCall): Promise<unknown> {
  try {
    const args = 'packed' in call ? [unpackIngest(call.packed)] : call.args;
    return (writer.call as (op: string, ...a: unknown[]) => Promise<unknown>)(call.op, ...args);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Answers not yet sent: the thread closes only after the last one. */
const inFlight = new Set<Promise<void>>();

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    void Promise.all([...inFlight, writer.close()]).then(() => {
      db.close();
      send({ type: 'closed' });
      port.close();
    });
    return;
  }
  // Calls that arrive together are queued in the same turn: they share one transaction (and whatever
  // arrived while the last fsync ran arrives together).
  const settled = message.calls.map(
    (call): Promise<WriteAnswer> =>
      run(call).then(
        (value) => ({ id: call.id, ok: true, value }),
        (err: unknown) => ({ id: call.id, ok: false, error: errorToWire(err) }),
      ),
  );
  const answered = Promise.all(settled).then(answer);
  inFlight.add(answered);
  void answered.finally(() => inFlight.delete(answered));
});
