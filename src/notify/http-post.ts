import axios, { type AxiosInstance } from 'axios';
import type { SendResult } from './types.js';

export type PostOptions = {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** For Retry-After given as an HTTP date. */
  now: () => Date;
};

/** Slack's error bodies are short snake_case words (`channel_not_found`); anything else stays out of records. */
const ERROR_WORD = /^[A-Za-z_]{1,60}$/;
const MAX_RETRY_AFTER_MS = 60 * 60_000;

export function createHttp(): AxiosInstance {
  return axios.create({
    // A redirect from a webhook URL is not something to follow blindly with a signed body.
    maxRedirects: 0,
    maxContentLength: 64 * 1024,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (data: unknown) => data,
    transitional: { clarifyTimeoutError: true },
    headers: { 'User-Agent': 'salve' },
  });
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: unknown, now: Date): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : new Date(text).getTime() - now.getTime();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

function statusError(status: number, body: unknown): string {
  const word = typeof body === 'string' && ERROR_WORD.test(body.trim()) ? ` ${body.trim()}` : '';
  return `HTTP ${status}${word}`;
}

/**
 * POSTs a JSON body and says what came of it. The URL is a secret: it appears in no error, record or log line —
 * only the status, the peer's error word, or the transport error code.
 */
export async function postJson(
  http: AxiosInstance,
  url: string,
  body: string,
  options: PostOptions,
): Promise<SendResult> {
  if (!/^https?:$/.test(URL.parse(url)?.protocol ?? '')) {
    return { outcome: 'dead', status: null, error: 'the configured URL is not an http(s) URL' };
  }
  try {
    const res = await http.post(url, body, {
      timeout: options.timeoutMs,
      headers: { 'Content-Type': 'application/json', ...options.headers },
    });
    const status = res.status;
    if (status >= 200 && status < 300) return { outcome: 'sent', status };
    const error = statusError(status, res.data);
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], options.now());
      return { outcome: 'retry', status, error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
    // 408 and 5xx are the peer's trouble and pass; any other 4xx will be answered the same way next time.
    if (status === 408 || status >= 500) return { outcome: 'retry', status, error };
    return { outcome: 'dead', status, error };
  } catch (err) {
    const code = axios.isAxiosError(err) ? (err.code ?? 'ERR_NETWORK') : 'ERR_UNKNOWN';
    const error =
      code === 'ETIMEDOUT' || code === 'ECONNABORTED'
        ? `no answer within ${options.timeoutMs} ms`
        : `request failed (${code})`;
    return { outcome: 'retry', status: null, error };
  }
}
