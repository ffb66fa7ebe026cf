import axios, { type AxiosInstance, isAxiosError } from 'axios';
import { backoffDelay } from '../../domain/backoff.js';
import type { ActionContext } from '../types.js';
import type { ResolvedAuth } from './auth.js';
import { type FailureSite, statusFailure, transportFailure } from './errors.js';
import { type HttpFields, timeoutMs } from './params.js';

/** One peer service as a step talks to it: where, how long to wait, as whom. */
export type HttpEndpoint = {
  service: string;
  /** The policy's URL without a trailing slash; paths are appended to it. */
  baseUrl: string;
  timeoutMs: number;
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

/**
 * The transport's one retry, declared here and nowhere else. The engine owns the retries of a step: durable,
 * audited, with backoff, the target lock released in between. So a request that reached the peer — answered
 * 5xx or 429, timed out, reset midway — fails the run at once, retryable, and the engine decides when to try
 * the step again. What the transport repeats, once, is a request whose connection never carried a byte:
 * refused (a Service endpoint that just went away), unreachable, or a name lookup that failed (resolvers drop
 * a UDP packet now and then). Sending it again cannot act twice, and it saves an engine attempt for a blip.
 * A step whose peer keeps failing therefore makes one request per engine attempt, two when refused.
 */
export const transportRetry = {
  /** Sends of one request, in all. */
  attempts: 2,
  /** Node's codes for a connection that was never established, so nothing of the request was sent. */
  notConnected: new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']),
  backoff: { baseMs: 200, maxMs: 200, jitter: 0.5 },
};

export function createEndpoint(service: string, fields: HttpFields, auth: ResolvedAuth): HttpEndpoint {
  const ms = timeoutMs(fields);
  return {
    service,
    baseUrl: fields.url.replace(/\/+$/, ''),
    timeoutMs: ms,
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

function neverConnected(err: unknown): boolean {
  return isAxiosError(err) && err.code !== undefined && transportRetry.notConnected.has(err.code);
}

async function exchange(ctx: ActionContext, ep: HttpEndpoint, call: HttpCall) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ep.client.request({
        url: `${ep.baseUrl}${call.path}`,
        method: call.method,
        ...(call.query === undefined ? {} : { params: call.query }),
        ...(call.body === undefined ? {} : { data: call.body }),
        headers: { ...ep.auth.headers, ...call.headers },
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
    } catch (err) {
      if (!neverConnected(err) || attempt >= transportRetry.attempts || ctx.signal?.aborted) {
        throw transportFailure(err, siteOf(ep, call));
      }
      const delayMs = backoffDelay(attempt - 1, transportRetry.backoff);
      ctx.log.info(
        { service: ep.service, transport: isAxiosError(err) ? err.code : undefined, delayMs },
        'no connection to the peer; sending once more',
      );
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}

/**
 * One request: a 2xx (or an accepted status) is a reply, anything else an ActionFailed whose `retryable`
 * tells the engine whether trying the step again can help. See `transportRetry` for the one repeat.
 */
export async function send(ctx: ActionContext, ep: HttpEndpoint, call: HttpCall): Promise<HttpReply> {
  const { status, data } = await exchange(ctx, ep, call);
  if ((status >= 200 && status < 300) || call.accept?.includes(status)) return { status, data };
  throw statusFailure(status, data, siteOf(ep, call));
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
