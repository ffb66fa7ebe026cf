import { isSalveError, SalveError } from '../errors.js';
import type { ActionLimits } from './types.js';

/** What the store counted, under its limits lock, for one reservation. */
export type LimitCounts = {
  /** Actions (any policy, any target) since `limits.global.since`. */
  global: number;
  /** Actions on the target (any policy) since `limits.target.since`; 0 without that limit. */
  target: number;
  /** The latest action of the policy on the target by another heal since `limits.cooldownSince`, if any. */
  cooldownLastAt: string | null;
};

export type LimitHit =
  | { limit: 'cooldown'; lastAt: string }
  | { limit: 'target'; count: number; max: number; since: string }
  | { limit: 'global'; count: number; max: number; since: string };

/** The first full limit, in guard order (cooldown, then the per-target breaker, then the global ceiling). */
export function fullLimit(limits: ActionLimits, counts: LimitCounts): LimitHit | null {
  if (limits.cooldownSince !== undefined && counts.cooldownLastAt !== null) {
    return { limit: 'cooldown', lastAt: counts.cooldownLastAt };
  }
  if (limits.target && counts.target >= limits.target.max) {
    return { limit: 'target', count: counts.target, max: limits.target.max, since: limits.target.since };
  }
  if (counts.global >= limits.global.max) {
    return { limit: 'global', count: counts.global, max: limits.global.max, since: limits.global.since };
  }
  return null;
}

/** Far in the future: a limit that is not set counts nothing. */
export const noLimitSince = '9999-12-31T23:59:59.999Z';

export function limitReached(hit: LimitHit): SalveError {
  return new SalveError('SALVE_LIMIT_REACHED', `no slot left for the action: ${hit.limit} limit is full`, {
    details: { hit },
  });
}

/** The limit a reservation ran into, when that is what `err` says. */
export function limitHitOf(err: unknown): LimitHit | null {
  if (!isSalveError(err) || err.code !== 'SALVE_LIMIT_REACHED') return null;
  return (err.details?.hit as LimitHit | undefined) ?? null;
}
