// The error catalogue: one code per failure, SALVE_<AREA>_<WHAT>. The HTTP status of each code lives here
// too, so the error handler maps codes in one table and nothing branches on messages.
export const errorCatalogue = {
  SALVE_CONFIG_INVALID: { status: 500, summary: 'configuration is invalid' },
  SALVE_LISTEN_FAILED: { status: 500, summary: 'cannot listen on the configured address' },
  SALVE_AUTH_MISSING: { status: 401, summary: 'authentication required' },
  SALVE_AUTH_INVALID: { status: 401, summary: 'token not recognised' },
  SALVE_AUTH_FORBIDDEN: { status: 403, summary: 'token lacks the required scope' },
  SALVE_REQUEST_INVALID: { status: 400, summary: 'request is invalid' },
  SALVE_REQUEST_BAD_JSON: { status: 400, summary: 'body is not valid JSON' },
  SALVE_REQUEST_TOO_LARGE: { status: 413, summary: 'body exceeds the size limit' },
  SALVE_REQUEST_UNSUPPORTED_MEDIA: { status: 415, summary: 'content type not supported' },
  SALVE_REQUEST_INVALID_TEXT: { status: 400, summary: 'a string is not well-formed Unicode or holds NUL' },
  SALVE_REQUEST_CROSS_SITE: { status: 403, summary: 'a page on another site sent this request' },
  SALVE_WEBHOOK_INVALID: { status: 400, summary: 'Alertmanager payload is invalid' },
  SALVE_NOT_FOUND: { status: 404, summary: 'not found' },
  SALVE_ROUTE_NOT_FOUND: { status: 404, summary: 'no such route' },
  SALVE_METHOD_NOT_ALLOWED: { status: 405, summary: 'method not allowed' },
  SALVE_POLICY_INVALID: { status: 422, summary: 'policy files are invalid' },
  SALVE_POLICY_NOT_FOUND: { status: 404, summary: 'no such policy' },
  SALVE_HEAL_NOT_FOUND: { status: 404, summary: 'no such heal' },
  SALVE_HEAL_CONFLICT: { status: 409, summary: 'heal is not in a state that allows this' },
  SALVE_HEAL_REFUSED: { status: 422, summary: 'the policy refuses to act on this target' },
  SALVE_HEAL_IDEMPOTENCY_MISMATCH: {
    status: 422,
    summary: 'the Idempotency-Key was used for another request',
  },
  SALVE_STORE_UNAVAILABLE: { status: 503, summary: 'the store could not commit' },
  SALVE_STORE_MIGRATION_FAILED: { status: 500, summary: 'store migration failed' },
  SALVE_LIMIT_REACHED: {
    status: 409,
    summary: 'a counted limit (ceiling, breaker, cooldown) has no slot left',
  },
  SALVE_AUDIT_CURSOR_INVALID: { status: 400, summary: 'audit cursor is invalid' },
  SALVE_KUBE_NOT_CONFIGURED: { status: 503, summary: 'no Kubernetes cluster is configured' },
  SALVE_KUBE_REQUEST_FAILED: { status: 502, summary: 'Kubernetes API request failed' },
  SALVE_KUBE_CONFLICT: { status: 409, summary: 'Kubernetes object changed underneath' },
  SALVE_KUBE_NOT_FOUND: { status: 404, summary: 'Kubernetes object not found' },
  SALVE_KUBE_FORBIDDEN: { status: 403, summary: 'Kubernetes refused the request' },
  SALVE_KUBE_INVALID: { status: 422, summary: 'Kubernetes rejected the request as invalid' },
  SALVE_ACTION_REFUSED: { status: 409, summary: 'the action refused to run on this target' },
  SALVE_ACTION_FAILED: { status: 500, summary: 'the action failed' },
  SALVE_HTTP_REQUEST_FAILED: { status: 502, summary: 'a request to an HTTP peer failed or timed out' },
  SALVE_HTTP_UNAUTHORIZED: { status: 401, summary: 'an HTTP peer refused the configured credentials' },
  SALVE_HTTP_FORBIDDEN: { status: 403, summary: 'the credentials lack permission at an HTTP peer' },
  SALVE_HTTP_NOT_FOUND: { status: 404, summary: 'an HTTP peer has no such resource' },
  SALVE_HTTP_REJECTED: { status: 422, summary: 'an HTTP peer rejected the request' },
  SALVE_SLACK_NOT_CONFIGURED: { status: 404, summary: 'Slack interactivity is not configured' },
  SALVE_SLACK_SIGNATURE_MISSING: { status: 401, summary: 'Slack signature headers are missing' },
  SALVE_SLACK_SIGNATURE_STALE: { status: 401, summary: 'Slack request timestamp is outside 300 s' },
  SALVE_SLACK_SIGNATURE_INVALID: { status: 401, summary: 'Slack signature does not match' },
  SALVE_SLACK_REPLAYED: { status: 401, summary: 'Slack request was already received (replay)' },
  SALVE_SLACK_PAYLOAD_INVALID: { status: 400, summary: 'Slack interaction payload is invalid' },
  SALVE_INTERNAL: { status: 500, summary: 'internal error' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export type SalveErrorOptions = {
  cause?: unknown;
  retryable?: boolean;
  details?: Record<string, unknown>;
};

export class SalveError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SalveErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SalveError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }
}

/** A real failure of an action (not an expected outcome such as "unchanged"). */
export class ActionFailed extends SalveError {
  constructor(code: ErrorCode, message: string, options: SalveErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ActionFailed';
  }
}

export function isSalveError(err: unknown): err is SalveError {
  return err instanceof SalveError;
}

/** The store could not commit: reported once per outage by the store's availability monitor, not by callers. */
export function isStoreUnavailable(err: unknown): boolean {
  return isSalveError(err) && err.code === 'SALVE_STORE_UNAVAILABLE';
}

/** An error as plain data, to cross a thread (structured clone keeps neither the class nor the code). */
export type WireError = {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
};

export function errorToWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const wire: WireError = { name: err.name, message: err.message };
  if (err.stack !== undefined) wire.stack = err.stack;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') wire.code = code;
  if (isSalveError(err)) {
    wire.retryable = err.retryable;
    if (err.details !== undefined) wire.details = err.details;
  }
  return wire;
}

/** The error again, a SalveError with its code and details when it was one (a code of the catalogue). */
export function errorFromWire(wire: WireError): Error {
  const err =
    wire.code !== undefined && Object.hasOwn(errorCatalogue, wire.code)
      ? new SalveError(wire.code as ErrorCode, wire.message, {
          retryable: wire.retryable ?? false,
          ...(wire.details !== undefined ? { details: wire.details } : {}),
        })
      : Object.assign(new Error(wire.message), wire.code !== undefined ? { code: wire.code } : {});
  if (wire.name !== err.name) err.name = wire.name;
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}
