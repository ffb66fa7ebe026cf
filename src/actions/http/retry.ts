import { ActionFailed } from '../../errors.js';
import type { ActionContext } from '../types.js';

export type RetryPolicy = {
  service: string;
  /** Retries after the first attempt. */
  retries: number;
  baseMs: number;
  maxMs: number;
  random?: () => number;
};

/**
 * Set once a create has gone out in a run: when a later attempt of the same run meets "already exists",
 * that is the earlier create applied without its answer arriving (a timeout, a reset), so still `changed`.
 */
export type Progress = { posted: boolean };

export const defaultBackoff = { baseMs: 250, maxMs: 5_000 } as const;

/** Exponential backoff with jitter in [50%, 100%], so replicas retrying the same peer spread out. */
export function backoffMs(policy: RetryPolicy, retry: number): number {
  const random = policy.random ?? Math.random;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** retry);
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

function gaveUp(err: ActionFailed, attempts: number): ActionFailed {
  return new ActionFailed(err.code, `${err.message} (gave up after ${attempts} attempts)`, {
    cause: err.cause,
    retryable: err.retryable,
    details: { ...err.details, attempts },
  });
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries are spent. Waits on the context's clock,
 * so a fake clock makes tests instant. Only retryable ActionFailed errors are retried: a 4xx never is.
 * `attempt` is the whole unit to repeat: an action whose create is not idempotent re-reads before it
 * creates again, inside the same attempt.
 */
export async function withRetries<T>(
  ctx: ActionContext,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ActionFailed) || !err.retryable || ctx.signal?.aborted) throw err;
      if (retry >= policy.retries) throw retry === 0 ? err : gaveUp(err, retry + 1);
      const delayMs = backoffMs(policy, retry);
      ctx.log.warn(
        { service: policy.service, code: err.code, attempt: retry + 1, delayMs, why: err.message },
        'http request failed; retrying',
      );
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}
