import { ApiException } from '@kubernetes/client-node';
import { ActionFailed, type ErrorCode } from '../errors.js';

/** The Status object the API server sends with every failure, as far as we read it. */
type ApiStatus = { reason?: string; message?: string; code?: number };

function parseStatus(body: unknown): ApiStatus {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? (parsed as ApiStatus) : {};
    } catch {
      return {};
    }
  }
  return typeof body === 'object' && body !== null ? (body as ApiStatus) : {};
}

function classify(status: number, reason: string | undefined): { code: ErrorCode; retryable: boolean } {
  if (status === 404) return { code: 'SALVE_KUBE_NOT_FOUND', retryable: false };
  if (status === 401 || status === 403) return { code: 'SALVE_KUBE_FORBIDDEN', retryable: false };
  if (status === 400 || status === 422) return { code: 'SALVE_KUBE_INVALID', retryable: false };
  // AlreadyExists will exist again on a retry; a stale resourceVersion is cured by re-reading.
  if (status === 409) return { code: 'SALVE_KUBE_CONFLICT', retryable: reason !== 'AlreadyExists' };
  if (status === 429 || status >= 500) return { code: 'SALVE_KUBE_REQUEST_FAILED', retryable: true };
  return { code: 'SALVE_KUBE_REQUEST_FAILED', retryable: false };
}

/** Transport failures (refused, reset, DNS, our own timeout) that a later attempt may not meet. */
function isTransportError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === 'FetchError' || isTimeout(err);
}

/** Our own deadline (AbortSignal.timeout): the library reports it as "The user aborted a request." */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/**
 * Maps whatever the client library threw into an ActionFailed with a SALVE_KUBE_* code. `operation`
 * names the call and the object ("patch Deployment ml-prod/scorer") so the message points at the place.
 */
export function toKubeFailure(err: unknown, operation: string, timeoutMs?: number): ActionFailed {
  if (err instanceof ActionFailed) return err;
  if (err instanceof ApiException) {
    const httpStatus = Number(err.code);
    const status = parseStatus(err.body);
    const { code, retryable } = classify(httpStatus, status.reason);
    const why = status.message ?? `HTTP ${httpStatus}`;
    return new ActionFailed(code, `${operation}: ${why}`, {
      cause: err,
      retryable,
      details: { httpStatus, reason: status.reason },
    });
  }
  if (isTransportError(err)) {
    // Say what timed out and after how long, not what the fetch library calls an abort.
    const why = isTimeout(err)
      ? `the Kubernetes API did not answer within ${timeoutMs === undefined ? 'the request deadline' : `${timeoutMs} ms`} (request timeout)`
      : err instanceof Error
        ? err.message
        : String(err);
    return new ActionFailed('SALVE_KUBE_REQUEST_FAILED', `${operation}: ${why}`, {
      cause: err,
      retryable: true,
    });
  }
  const why = err instanceof Error ? err.message : String(err);
  return new ActionFailed('SALVE_KUBE_REQUEST_FAILED', `${operation}: ${why}`, {
    cause: err,
    retryable: false,
  });
}

/**
 * A failed watch: client-node's Watch throws a plain Error with `statusCode` for an HTTP failure, and passes
 * transport errors through.
 */
export function watchFailure(err: unknown, operation: string): ActionFailed {
  const httpStatus = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof httpStatus !== 'number') return toKubeFailure(err, operation);
  const { code, retryable } = classify(httpStatus, undefined);
  const why = err instanceof Error && err.message !== '' ? err.message : `HTTP ${httpStatus}`;
  return new ActionFailed(code, `${operation}: ${why} (HTTP ${httpStatus})`, {
    cause: err,
    retryable,
    details: { httpStatus },
  });
}

/** True for a 409 whose reason is AlreadyExists: a create that found its object already there. */
export function isAlreadyExists(err: unknown): boolean {
  return (
    err instanceof ActionFailed &&
    err.code === 'SALVE_KUBE_CONFLICT' &&
    err.details?.reason === 'AlreadyExists'
  );
}

/** True for a 409 Conflict (stale resourceVersion): re-read and try again. */
export function isConflict(err: unknown): boolean {
  return (
    err instanceof ActionFailed &&
    err.code === 'SALVE_KUBE_CONFLICT' &&
    err.details?.reason !== 'AlreadyExists'
  );
}
