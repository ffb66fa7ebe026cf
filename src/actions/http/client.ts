import axios, { type AxiosInstance } from 'axios';
import type { ActionContext } from '../types.js';
import type { ResolvedAuth } from './auth.js';
import { type FailureSite, statusFailure, transportFailure } from './errors.js';
import { type HttpFields, timeoutMs } from './params.js';
import { defaultBackoff, type RetryPolicy, withRetries } from './retry.js';

/** One peer service as a step talks to it: where, how long to wait, how often to retry, as whom. */
export type HttpEndpoint = {
  service: string;
  /** The policy's URL without a trailing slash; paths are appended to it. */
  baseUrl: string;
  timeoutMs: number;
  retry: RetryPolicy;
  auth: ResolvedAuth;
  client: AxiosInstance;
};

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type HttpCall = {
  method: HttpMethod;
  /** Starts with `/`; every segment that came from a policy or an alert is already URI-encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Non-2xx statuses the caller handles itself (409 "already exists" is the usual one). */
  accept?: readonly number[];
};

export type HttpReply = { status: number; data: unknown };

const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const DEFAULT_RETRIES = 2;

export function createEndpoint(service: string, fields: HttpFields, auth: ResolvedAuth): HttpEndpoint {
  const ms = timeoutMs(fields);
  return {
    service,
    baseUrl: fields.url.replace(/\/+$/, ''),
    timeoutMs: ms,
    retry: { service, retries: fields.retries ?? DEFAULT_RETRIES, ...defaultBackoff },
    auth,
    client: axios.create({
      timeout: ms,
      // A redirect could carry the Authorization header to another host; the policy names the real URL.
      maxRedirects: 0,
      maxContentLength: MAX_RESPONSE_BYTES,
      validateStatus: () => true,
      transitional: { clarifyTimeoutError: true },
      headers: { Accept: 'application/json', 'User-Agent': 'salve' },
    }),
  };
}

function siteOf(ep: HttpEndpoint, call: HttpCall): FailureSite {
  return {
    where: `${ep.service} ${call.method} ${ep.baseUrl}${call.path}`,
    credential: ep.auth.credential,
    secrets: ep.auth.secrets,
    timeoutMs: ep.timeoutMs,
  };
}

/** One request, no retry: a 2xx (or an accepted status) is a reply, anything else an ActionFailed. */
export async function send(ctx: ActionContext, ep: HttpEndpoint, call: HttpCall): Promise<HttpReply> {
  let response: { status: number; data: unknown };
  try {
    response = await ep.client.request({
      url: `${ep.baseUrl}${call.path}`,
      method: call.method,
      ...(call.query === undefined ? {} : { params: call.query }),
      ...(call.body === undefined ? {} : { data: call.body }),
      headers: { ...ep.auth.headers, ...call.headers },
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
  } catch (err) {
    throw transportFailure(err, siteOf(ep, call));
  }
  const { status, data } = response;
  if ((status >= 200 && status < 300) || call.accept?.includes(status)) return { status, data };
  throw statusFailure(status, data, siteOf(ep, call));
}

/** One request with the endpoint's retries (5xx, 408, 429, timeouts, connection errors). */
export function request(ctx: ActionContext, ep: HttpEndpoint, call: HttpCall): Promise<HttpReply> {
  return withRetries(ctx, ep.retry, () => send(ctx, ep, call));
}

export function retrying<T>(ctx: ActionContext, ep: HttpEndpoint, attempt: () => Promise<T>): Promise<T> {
  return withRetries(ctx, ep.retry, attempt);
}

/** A path segment from a policy or an alert, encoded so it cannot add segments or a query. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** The origin and path of a policy URL, for describe() and details (the schema forbids credentials in it). */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}
