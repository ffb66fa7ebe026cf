import type { Worker } from 'node:worker_threads';
import { startSqliteThread } from './thread.js';

/** What the checkpoint thread starts from. */
export type CheckpointerData = { file: string; everyMs: number; report: boolean };

/**
 * The WAL's size when the writer checkpoints itself (pages of 4 KiB: 16 MiB). With the checkpoint thread, by
 * then it has copied all but its last pass's worth: the writer's checkpoint copies that remainder, and its next
 * commit starts the WAL over. Without it (not started yet, or a thread that died), the writer copies everything:
 * the WAL stays bounded.
 */
export const writerCheckpointPages = 4096;

/** How often the checkpoint thread copies the WAL into the database file. */
export const checkpointEveryMs = 200;

/**
 * Writes before the checkpoint thread starts: a store that writes little (a command, most tests) has little to
 * copy, and the writer's own checkpoint at the bound does it; a thread costs its start (tens of ms of CPU).
 */
export const checkpointerAfterWrites = 256;

/**
 * Starts the checkpoint thread: a connection of its own that copies committed pages from the WAL into the
 * database file every `everyMs` (PASSIVE: it never blocks the writer nor a reader), so that copying and its
 * fsync run beside the writer thread instead of inside its commits. `onPass` sees what each pass found.
 */
export function startCheckpointer(
  file: string,
  options: { everyMs?: number; onPass?: (pass: { log: number; checkpointed: number }) => void } = {},
) {
  const data: CheckpointerData = {
    file,
    everyMs: options.everyMs ?? checkpointEveryMs,
    report: options.onPass !== undefined,
  };
  const thread: Worker = startSqliteThread('checkpoint-worker', data);
  // It never keeps the process alive.
  thread.unref();
  thread.on('message', (message: { type: 'pass'; log: number; checkpointed: number }) => {
    if (message.type === 'pass') options.onPass?.(message);
  });
  // A thread that dies leaves the writer's own checkpoints: nothing to do but not crash the process.
  thread.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  return {
    close(): Promise<void> {
      // Waited for: the thread keeps the process alive until it has closed its connection.
      thread.ref();
      thread.postMessage({ type: 'close' });
      return exited;
    },
  };
}

export type Checkpointer = ReturnType<typeof startCheckpointer>;
