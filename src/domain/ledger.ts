// The action ledger: every action a heal starts is counted by the cooldown, the breaker and the ceiling.

export type ActionRecordInput = {
  healId: string;
  policy: string;
  targetKey: string;
  action: string;
  /** The step's index. */
  step: number;
  attempt: number;
  dryRun: boolean;
};

/**
 * Counted limits an action must fit in. The store checks them and takes the action's slot in one atomic
 * step, so heals advancing at the same moment, on any replica, cannot overshoot together.
 */
export type ActionLimits = {
  /** Global ceiling: at most `max` actions, any policy and target, started since `since`. */
  global: { since: string; max: number };
  /** Heal-loop breaker: at most `max` actions on this target, any policy, since `since`. */
  target?: { since: string; max: number };
  /** Cooldown: no action of this policy on this target, by another heal, since this time. */
  cooldownSince?: string;
};

export type SlotReservation = { action: ActionRecordInput; limits: ActionLimits };

export type ActionFinish = { status: 'changed' | 'unchanged' | 'failed' | 'dry_run'; detail: string };

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
