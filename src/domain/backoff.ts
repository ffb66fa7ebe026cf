// The one backoff rule: exponential, capped, with jitter so that replicas retrying together spread out.

export type BackoffPolicy = {
  /** The first delay (attempt 0), before jitter. */
  baseMs: number;
  /** No delay is longer than this, before jitter. */
  maxMs: number;
  /**
   * The share of the delay drawn at random, from 0 (none) to 1: the delay falls in
   * [ceiling × (1 − jitter), ceiling), where ceiling = min(maxMs, baseMs × 2^attempt).
   */
  jitter: number;
};

/**
 * How long to wait before retry number `attempt + 1`, for `attempt` from 0 (the wait after the first
 * failure). Pure: `random` (default Math.random, values in [0, 1)) is the only source of jitter, and tests pin it.
 */
export function backoffDelay(
  attempt: number,
  policy: { baseMs: number; maxMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(ceiling * (1 - jitter + random() * jitter));
}
