// The SQLite checkpoint thread: copies the WAL's committed pages into the database file beside the writer, so the
// writer's commits do not (src/store/sqlite/checkpointer.ts starts it).
import { parentPort, workerData } from 'node:worker_threads';
import type { CheckpointerData } from './checkpointer.js';
import { openConnection } from './connection.js';

const port = parentPort;
if (port === null) throw new Error('checkpoint-worker.ts runs as a worker thread');
const data = workerData as CheckpointerData;
const db = openConnection(data.file);
// Never waits on a lock: a pass that would wait is skipped, and the next one catches up.
db.pragma('busy_timeout = 0');

function pass(): void {
  try {
    // PASSIVE: copies what no reader still needs, never blocks the writer nor a reader.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{
      busy: number;
      log: number;
      checkpointed: number;
    }>;
    if (data.report)
      port?.postMessage({ type: 'pass', log: result?.log ?? 0, checkpointed: result?.checkpointed ?? 0 });
  } catch {
    // Busy or the file gone: the writer's own checkpoint (and its file checks) remain the bound.
  }
}

const timer = setInterval(pass, data.everyMs);
port.on('message', (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
