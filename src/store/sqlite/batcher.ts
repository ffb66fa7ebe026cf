import type { Database } from 'better-sqlite3';
import { SalveError } from '../../errors.js';

type Pending = { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** What a write threw in a batch run without savepoints: the batch is rolled back and run again, guarded. */
class WriteThrew {
  constructor(readonly err: unknown) {}
}

/**
 * Group commit: writes queued in the same turn of the event loop share one transaction, so one fsync
 * acknowledges many deliveries. A batch first runs as it is, without a savepoint per write (a savepoint
 * journals again every page an earlier write of the batch dirtied). When a write throws, the transaction rolls
 * back and the batch runs again with each write in its own savepoint: the failing write rolls back alone, the
 * others commit. A batch of one write needs no second run: its error is its outcome.
 * `verify` runs before the transaction and after its commit: when it throws (the database file is gone),
 * nothing is written, or what was just committed is not acknowledged.
 */
export function createWriteBatcher(
  db: Database,
  onRollback: () => void,
  verify: () => void = () => undefined,
) {
  let queue: Pending[] = [];
  let scheduled = false;
  const savepoint = db.transaction((fn: () => unknown) => fn());

  /** Runs the batch in one transaction; guarded, each write in a savepoint of its own. */
  function commit(batch: readonly Pending[], guarded: boolean): Outcome[] {
    const outcomes: Outcome[] = [];
    db.transaction(() => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: guarded ? savepoint(item.fn) : item.fn() });
        } catch (err) {
          if (!guarded) throw new WriteThrew(err);
          outcomes.push({ ok: false, err });
        }
      }
    })();
    return outcomes;
  }

  function commitBatch(batch: readonly Pending[]): Outcome[] {
    try {
      return commit(batch, false);
    } catch (thrown) {
      if (!(thrown instanceof WriteThrew)) throw thrown;
      // Rolled back: the chain head the writes advanced goes back to the database's.
      onRollback();
      if (batch.length === 1) return [{ ok: false, err: thrown.err }];
      return commit(batch, true);
    }
  }

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      verify();
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    try {
      outcomes = commitBatch(batch);
    } catch (cause) {
      onRollback();
      const why = cause instanceof Error ? cause.message : String(cause);
      const err = new SalveError('SALVE_STORE_UNAVAILABLE', `the store could not commit (${why})`, {
        cause,
        retryable: true,
      });
      for (const item of batch) item.reject(err);
      return;
    }
    try {
      verify();
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.err);
    });
  }

  return {
    write<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
