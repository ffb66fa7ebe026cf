import type { AxiosInstance } from 'axios';
import { postJson } from '../http-post.js';
import type { Delivery } from '../types.js';
import { type PagerDutyBody, pagerDutyLimits } from './events.js';

export const pagerDutyEnqueueUrl = 'https://events.pagerduty.com/v2/enqueue';

/**
 * PagerDuty suggests retrying a rate-limited event about 30 seconds later (its rate limits page); it does not
 * promise a Retry-After header, so without one salve waits this long at least.
 */
export const rateLimitedRetryMs = 30_000;

const MAX_ERROR = 300;

/** Why a routing key cannot be an Events API v2 integration key, or null when it can. Never quotes the key. */
export function routingKeyProblem(key: string): string | null {
  if (key.length !== pagerDutyLimits.routingKey) {
    return `is ${key.length} characters long; an Events API v2 integration key has ${pagerDutyLimits.routingKey}`;
  }
  if (!/^[\x21-\x7e]+$/.test(key)) return 'holds spaces or characters outside printable ASCII';
  return null;
}

function scrub(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[redacted]');
}

/**
 * PagerDuty's own account of a refusal: `{status, message, errors: [...]}` (400 "invalid event"). Its words go
 * into the dead letter, clipped, and never with the routing key in them. Anything else (a proxy's page, a
 * body echoing what it was sent) is left out: only the status is recorded.
 */
export function explainPagerDuty(routingKey: string) {
  return (status: number, data: unknown): string => {
    let body: unknown = data;
    if (typeof data === 'string') {
      try {
        body = JSON.parse(data);
      } catch {
        body = null;
      }
    }
    const {
      status: word,
      message,
      errors,
    } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const parts = [
      typeof word === 'string' ? word : undefined,
      typeof message === 'string' ? message : undefined,
      Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : undefined,
    ].filter((p): p is string => p !== undefined && p !== '');
    if (parts.length === 0) return `HTTP ${status}`;
    const text = scrub(parts.join(': '), routingKey);
    return `HTTP ${status} ${text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR)}...` : text}`;
  };
}

export type PagerDutySendOptions = { timeoutMs: number; now: () => Date };

/**
 * Sends the bodies in order, each answered 202 before the next goes. A retry sends them all again: PagerDuty
 * applies a repeated acknowledge or resolve to nothing new, and a repeated trigger to the same incident.
 */
export async function sendPagerDuty(
  http: AxiosInstance,
  url: string,
  routingKey: string,
  bodies: readonly PagerDutyBody[],
  options: PagerDutySendOptions,
): Promise<Delivery> {
  let last: Delivery = { outcome: 'sent', status: 202 };
  for (const body of bodies) {
    last = await postJson(http, url, JSON.stringify(body), {
      timeoutMs: options.timeoutMs,
      now: options.now,
      explain: explainPagerDuty(routingKey),
    });
    if (last.outcome === 'retry' && last.status === 429 && last.retryAfterMs === undefined) {
      return { ...last, retryAfterMs: rateLimitedRetryMs };
    }
    if (last.outcome !== 'sent') return last;
  }
  return last;
}
