import { isAxiosError } from 'axios';
import { ActionFailed, type ErrorCode } from '../../errors.js';
import { scrub } from './auth.js';

/** Where a request went and what must never appear in a message about it. */
export type FailureSite = {
  /** "MLflow POST https://mlflow.example/api/2.0/mlflow/registered-models/alias" (no query string). */
  where: string;
  credential: string | undefined;
  secrets: readonly string[];
  timeoutMs: number;
};

export type PeerMessage = { text: string | undefined; errorCode: string | undefined };

const MAX_TEXT = 300;

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (value === undefined || value === null) return undefined;
  return JSON.stringify(value);
}

/**
 * What the peer said about a failure, as far as the usual shapes go: MLflow `{error_code, message}`,
 * Airflow's problem+json `{title, detail}` (detail is a list of field errors on a 422), grpc-gateway's
 * `{code, message}` (Argo, Kubeflow), or plain text.
 */
export function peerMessage(data: unknown): PeerMessage {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { text: textOf(data), errorCode: undefined };
  }
  const body = data as Record<string, unknown>;
  const text = textOf(body.message) ?? textOf(body.detail) ?? textOf(body.error) ?? textOf(body.title);
  const errorCode = typeof body.error_code === 'string' ? body.error_code : undefined;
  return { text, errorCode };
}

function said(message: PeerMessage, secrets: readonly string[]): string {
  if (message.text === undefined) return '';
  const text = scrub(message.text, secrets);
  const cut = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}...` : text;
  return message.errorCode === undefined ? `: ${cut}` : `: ${message.errorCode}: ${cut}`;
}

function classify(status: number): { code: ErrorCode; retryable: boolean } {
  if (status === 401) return { code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false };
  if (status === 403) return { code: 'SALVE_HTTP_FORBIDDEN', retryable: false };
  if (status === 404) return { code: 'SALVE_HTTP_NOT_FOUND', retryable: false };
  // Overload and gateway trouble pass; a request the peer judged wrong is wrong on every attempt.
  if (status >= 500 || status === 408 || status === 429) {
    return { code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true };
  }
  return { code: 'SALVE_HTTP_REJECTED', retryable: false };
}

/**
 * What a 401 and a 403 mean for the operator, who fixes them in different places: 401, the credentials were
 * refused (wrong, expired, revoked: the secret); 403, they were accepted but lack permission (the peer's
 * roles). Both name the credential's source, never its value.
 */
function credentialHint(code: ErrorCode, credential: string | undefined): string {
  if (code === 'SALVE_HTTP_UNAUTHORIZED') {
    return credential
      ? ` (credentials refused: ${credential})`
      : ' (credentials refused: no credentials are configured for this peer)';
  }
  return credential
    ? ` (lacks permission: ${credential} was accepted but lacks permission for this request)`
    : ' (lacks permission: no credentials are configured for this peer, and it requires some)';
}

/** A peer's non-2xx answer as an ActionFailed. */
export function statusFailure(status: number, data: unknown, site: FailureSite): ActionFailed {
  const { code, retryable } = classify(status);
  const message = peerMessage(data);
  let text = `${site.where}: HTTP ${status}${said(message, site.secrets)}`;
  if (code === 'SALVE_HTTP_UNAUTHORIZED' || code === 'SALVE_HTTP_FORBIDDEN') {
    text += credentialHint(code, site.credential);
  } else if (status >= 300 && status < 400) {
    text += ' (redirects are not followed: set url to the final address)';
  }
  return new ActionFailed(code, text, {
    retryable,
    details: { httpStatus: status, ...(message.errorCode ? { peerErrorCode: message.errorCode } : {}) },
  });
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT']);

/** Timeouts, refused and reset connections, DNS failures: retryable, since the peer may be back soon. */
export function transportFailure(err: unknown, site: FailureSite): ActionFailed {
  const code = isAxiosError(err) ? err.code : undefined;
  const raw = err instanceof Error ? err.message : String(err);
  // The library's error carries the request config, headers included: keep only its code and message.
  const cause = new Error(`${code ?? 'error'}: ${scrub(raw, site.secrets)}`);
  let text: string;
  if (code !== undefined && TIMEOUT_CODES.has(code)) text = `no answer within ${site.timeoutMs} ms`;
  else if (code === 'ERR_CANCELED') text = 'request cancelled (salve is shutting down)';
  else text = `connection failed (${code ?? scrub(raw, site.secrets)})`;
  return new ActionFailed('SALVE_HTTP_REQUEST_FAILED', `${site.where}: ${text}`, {
    cause,
    retryable: true,
    details: { transport: code ?? 'unknown' },
  });
}
