/**
 * How long to wait before retry `attempt` (counted from 1): `baseMs` doubled per attempt, capped at `maxMs`,
 * then spread by ±`jitter` (a fraction of it) so that replicas retrying the same peer do not retry in step.
 * Pure: `random` (default Math.random) returns a number in [0, 1).
 */
export function backoffDelay(
  attempt: number,
  policy: { baseMs: number; maxMs: number; jitter: number },
  random?: () => number,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exp * policy.jitter;
  return Math.max(0, Math.round(exp - spread + (random ?? Math.random)() * 2 * spread));
}
