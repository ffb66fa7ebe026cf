import type { ErrorCode } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** Codes that mean "this request did not prove who sent it": nothing it asked for may be written. */
export const authFailureCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SALVE_AUTH_MISSING',
  'SALVE_AUTH_INVALID',
  'SALVE_AUTH_FORBIDDEN',
  'SALVE_SLACK_SIGNATURE_MISSING',
  'SALVE_SLACK_SIGNATURE_STALE',
  'SALVE_SLACK_SIGNATURE_INVALID',
  'SALVE_SLACK_REPLAYED',
]);

export type AuthFailureReporter = (failure: { route: string; code: ErrorCode; ip: string }) => void;

/**
 * Counts every refused request (`salve_auth_failures_total{route,reason}`) and logs them at most once per
 * route and reason per window, saying how many were left out. Nothing is written to the store: a client
 * without credentials must not be able to fill the disk or the audit log, only the counter.
 */
export function createAuthFailureReporter(deps: {
  log: Logger;
  metrics: Metrics;
  now: () => number;
  windowMs?: number;
}): AuthFailureReporter {
  const windowMs = deps.windowMs ?? 60_000;
  // Keys are route x reason: a bounded set (routes are the registered ones, unknown ones share one key).
  const windows = new Map<string, { until: number; suppressed: number }>();
  return ({ route, code, ip }) => {
    deps.metrics.authFailures.inc({ route, reason: code });
    const key = `${route} ${code}`;
    const now = deps.now();
    const open = windows.get(key);
    if (open && now < open.until) {
      open.suppressed += 1;
      return;
    }
    windows.set(key, { until: now + windowMs, suppressed: 0 });
    deps.log.warn(
      { route, code, ip, ...(open?.suppressed ? { alsoRefusedSinceLastLine: open.suppressed } : {}) },
      'request refused: not authenticated (logged at most once a minute per route and reason)',
    );
  };
}
