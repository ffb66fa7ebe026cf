import { auditTypes } from '../domain/audit.js';
import type { Heal } from '../domain/heal.js';
import type { Policy } from '../policy/types.js';
import { limitHitOf } from '../store/limits.js';
import type { EngineDeps } from './context.js';
import { type GuardDecision, guardOrder, limitRefusal } from './guards.js';
import { closeHeal, healAudit } from './moves.js';
import { notificationsFor } from './notify-events.js';

export function decisionAudit(heal: Heal, d: GuardDecision) {
  const type =
    d.verdict === 'pass'
      ? auditTypes.guardPassed
      : d.verdict === 'hold'
        ? auditTypes.guardHeld
        : d.verdict === 'refuse'
          ? auditTypes.guardRefused
          : auditTypes.approvalRequested;
  const outcome = d.verdict === 'refuse' ? d.reason : d.verdict;
  return healAudit(heal, type, outcome, {
    guard: d.guard,
    detail: d.detail,
    ...(d.verdict === 'refuse' && d.until ? { until: d.until } : {}),
  });
}

/** Closes a heal a guard refused: `escalated` when a human must know (the breaker, the ceiling), else `refused`. */
export async function refuseHeal(
  heal: Heal,
  deps: EngineDeps,
  decisions: GuardDecision[],
  last: Extract<GuardDecision, { verdict: 'refuse' }>,
): Promise<Heal> {
  deps.metrics.guardRefusals.inc({ guard: last.guard });
  const state = last.escalate ? 'escalated' : 'refused';
  const refusal = { guard: last.guard, reason: last.reason, detail: last.detail };
  const notify = last.escalate
    ? await notificationsFor({ ...heal, state }, deps, 'heal.escalated', {
        refusal,
        escalation: { why: `${last.reason}: ${last.detail}`, tried: [] },
      })
    : await notificationsFor({ ...heal, state }, deps, 'heal.refused', { refusal });
  return closeHeal(
    heal,
    deps,
    state,
    last.reason,
    [
      ...decisions.map((d) => decisionAudit(heal, d)),
      healAudit(heal, last.escalate ? auditTypes.healEscalated : auditTypes.healRefused, state, {
        guard: last.guard,
        why: last.reason,
        detail: last.detail,
      }),
    ],
    notify,
  );
}

/**
 * Runs a move that reserves the action's slot. When the store finds a counted limit full (heals on other
 * replicas, or beside this one, took the last slots since the guards read the counts), the heal is refused
 * by that limit's guard, audited like any refusal; `before` are the decisions that passed ahead of it.
 */
export async function withSlot(
  heal: Heal,
  policy: Policy | undefined,
  deps: EngineDeps,
  before: GuardDecision[],
  reserve: () => Promise<Heal>,
): Promise<Heal> {
  try {
    return await reserve();
  } catch (err) {
    const hit = limitHitOf(err);
    if (!hit) throw err;
    const refusal = limitRefusal(heal, policy, hit, deps) as Extract<GuardDecision, { verdict: 'refuse' }>;
    // The guards ahead of the refusing one passed; those after it were never reached.
    const reached = before.filter((d) => guardOrder.indexOf(d.guard) < guardOrder.indexOf(refusal.guard));
    return refuseHeal(heal, deps, [...reached, refusal], refusal);
  }
}
