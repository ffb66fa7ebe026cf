import type { Database } from 'better-sqlite3';
import type { SqliteAudit } from './audit.js';
import { createWriteBatcher } from './batcher.js';
import { createWriteOps, type SqliteWriter } from './write-ops.js';

/**
 * The writes on this thread's connection, group-committed (src/store/sqlite/batcher.ts). A failed write puts
 * the chain head back where it was. `verify` checks the database files around every commit.
 */
export function createThreadWriter(db: Database, audit: SqliteAudit, verify?: () => void): SqliteWriter {
  const ops = createWriteOps(db, audit);
  const batcher = createWriteBatcher(db, () => audit.reloadHead(), verify);
  return {
    call: (op, ...args) =>
      batcher.write(() => {
        const head = audit.snapshot();
        try {
          return (ops[op] as (...a: typeof args) => ReturnType<(typeof ops)[typeof op]>)(...args);
        } catch (err) {
          audit.restore(head);
          throw err;
        }
      }),
    close: async () => {
      await batcher.write(ops.drain).catch(() => undefined);
    },
  };
}
