import { type GuardDecision, type GuardRefusal, guardOrder } from '../domain/guard.js';
import type { Heal } from '../domain/heal.js';
import { apply, type HealIn } from '../domain/heal-apply.js';
import type { EventOf } from '../domain/heal-events.js';
import type { Transition } from '../domain/heal-transition.js';
import { limitHitOf } from '../store/limits.js';
import { commit, nowIso } from './commit.js';
import type { EngineDeps } from './context.js';
import { limitRefusal } from './guards.js';
import { isDryRun, policyOf } from './step.js';

type Pass = Extract<GuardDecision, { verdict: 'pass' }>;

/** A guard's refusal as the machine's event: `guard_escalated` when a human must know (breaker, ceiling). */
export function refusalEvent(
  refusal: GuardRefusal,
  passed: Pass[],
  at: string,
  dryRun: boolean,
): EventOf<'guard_refused' | 'guard_escalated'> {
  return refusal.escalate
    ? { type: 'guard_escalated', at, passed, refusal, dryRun }
    : { type: 'guard_refused', at, passed, refusal };
}

/**
 * Commits a move that reserves the action's slot. When the store finds a counted limit full (heals on other
 * replicas, or beside this one, took the last slots since the guards read the counts), the heal is refused
 * by that limit's guard instead, audited like any refusal; `passed` are the guards that passed before it.
 */
export async function commitReserving(
  heal: HealIn<'guards' | 'action'>,
  move: Transition,
  passed: Pass[],
  deps: EngineDeps,
): Promise<Heal> {
  try {
    return await commit(move, deps);
  } catch (err) {
    const hit = limitHitOf(err);
    if (!hit) throw err;
    const policy = policyOf(heal, deps);
    const refusal = limitRefusal(heal, policy, hit, deps);
    // The guards ahead of the refusing one passed; those after it were never reached.
    const reached = passed.filter((d) => guardOrder.indexOf(d.guard) < guardOrder.indexOf(refusal.guard));
    const event = refusalEvent(refusal, reached, nowIso(deps), isDryRun(heal, policy, deps.settings));
    return commit(apply(heal, event), deps);
  }
}
