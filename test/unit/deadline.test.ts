import { describe, expect, it } from 'vitest';
import { withinDeadline } from '../../src/http/deadline.js';

/** A promise settled from outside, when the test says. */
function pending<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('withinDeadline', () => {
  it('answers with the work’s result, or its failure, when it settles in time', async () => {
    await expect(withinDeadline(Promise.resolve(7), 1_000, 'the work')).resolves.toBe(7);
    const failure = new Error('store said no');
    await expect(withinDeadline(Promise.reject(failure), 1_000, 'the work')).rejects.toBe(failure);
  });

  it('answers 503 (retryable) naming the work once the time has passed, and drops what comes after', async () => {
    const late = pending<number>();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(withinDeadline(late.promise, 5, 'committing the delivery')).rejects.toMatchObject({
        code: 'SALVE_STORE_UNAVAILABLE',
        retryable: true,
        message: 'committing the delivery did not complete within 5 ms (timed out)',
      });
      // The work fails after the deadline: handled, never an unhandled rejection.
      late.reject(new Error('too late'));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('keeps no timer once the work has settled', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await withinDeadline(Promise.resolve('done'), 60_000, 'the work');
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
