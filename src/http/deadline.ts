import { SalveError } from '../errors.js';

/**
 * Answers with the work's result, or with SALVE_STORE_UNAVAILABLE (503) once `ms` have passed: the caller
 * (Alertmanager) sends the request again, and it is idempotent. Work still running is left to finish or fail
 * on its own deadlines; its outcome is dropped (a failure after the deadline is handled here, never
 * unhandled). One promise and one timer per call: every new delivery waits on one.
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new SalveError('SALVE_STORE_UNAVAILABLE', `${what} did not complete within ${ms} ms (timed out)`, {
            retryable: true,
          }),
        ),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
