import type { Database } from 'better-sqlite3';
import { SalveError } from '../../errors.js';

type Pending = { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };

/**
 * Group commit: writes queued in the same turn of the event loop share one transaction, so one fsync
 * acknowledges many deliveries. Each write runs in its own savepoint: one failing write rolls back alone.
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

  function flush(): void {
    scheduled = false;
    const batch = queue;
    queue = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      verify();
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    try {
      db.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: savepoint(item.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err });
          }
        }
      })();
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
