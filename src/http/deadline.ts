import { SalveError } from '../errors.js';

/**
 * Answers with the work's result, or with SALVE_STORE_UNAVAILABLE (503) once `ms` have passed: the caller
 * (Alertmanager) sends the request again, and it is idempotent. Work still running is left to finish or fail
 * on its own deadlines; its outcome is dropped.
 */
export function withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SalveError('SALVE_STORE_UNAVAILABLE', `${what} did not complete within ${ms} ms (timed out)`, {
            retryable: true,
          }),
        ),
      ms,
    );
  });
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
