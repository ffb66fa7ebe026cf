import { auditTypes } from '../store/audit-types.js';
import type { Heal } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { type GuardDecision, runGuards } from './guards.js';
import { allAlertsResolved, closeHeal, healAudit, inMs, move, nowIso } from './moves.js';

function decisionAudit(heal: Heal, d: GuardDecision) {
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

/** pending -> guards in order -> refused | held | awaiting_approval | running. */
export async function guardsPhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  if (await allAlertsResolved(heal, deps)) {
    return closeHeal(heal, deps, 'cancelled', 'alerts_resolved', [
      healAudit(heal, auditTypes.healCancelled, 'alerts_resolved', {
        why: 'every attached alert resolved before salve acted',
      }),
    ]);
  }
  const policy = deps.policies.current().byName.get(heal.policy);
  const approved = heal.approvedBy !== null;
  const decisions = (await runGuards(heal, policy, deps)).map(
    (d): GuardDecision =>
      d.verdict === 'await_approval' && approved
        ? { guard: 'approval', verdict: 'pass', detail: `approved by ${heal.approvedBy}` }
        : d,
  );
  const last = decisions.at(-1)!;
  for (const d of decisions) if (d.verdict === 'refuse') deps.metrics.guardRefusals.inc({ guard: d.guard });

  switch (last.verdict) {
    case 'hold': {
      // Audit the hold once, not at every poll.
      const first = heal.reason !== 'paused';
      return move(heal, deps, {
        set: { reason: 'paused', nextRunAt: inMs(deps, deps.settings.pollMs) },
        audit: first ? decisions.map((d) => decisionAudit(heal, d)) : [],
      });
    }
    case 'refuse': {
      const state = last.escalate ? 'escalated' : 'refused';
      return closeHeal(heal, deps, state, last.reason, [
        ...decisions.map((d) => decisionAudit(heal, d)),
        healAudit(heal, last.escalate ? auditTypes.healEscalated : auditTypes.healRefused, state, {
          guard: last.guard,
          why: last.reason,
          detail: last.detail,
        }),
      ]);
    }
    case 'await_approval': {
      const deadline = inMs(deps, deps.settings.approvalTimeoutMs);
      return move(heal, deps, {
        set: {
          state: 'awaiting_approval',
          phase: 'approval',
          deadlineAt: deadline,
          nextRunAt: deadline,
          reason: 'awaiting_approval',
        },
        audit: decisions.map((d) => decisionAudit(heal, d)),
      });
    }
    case 'pass':
      return move(heal, deps, {
        set: { state: 'running', phase: 'action', attempt: 0, nextRunAt: nowIso(deps), reason: null },
        audit: decisions.map((d) => decisionAudit(heal, d)),
      });
  }
}

/** awaiting_approval: cancelled when the alerts resolve or the approval expires; decisions come from the API. */
export async function approvalPhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  if (await allAlertsResolved(heal, deps)) {
    return closeHeal(heal, deps, 'cancelled', 'alerts_resolved', [
      healAudit(heal, auditTypes.healCancelled, 'alerts_resolved', {
        why: 'every attached alert resolved while waiting for approval',
      }),
    ]);
  }
  if (heal.deadlineAt && heal.deadlineAt <= nowIso(deps)) {
    return closeHeal(heal, deps, 'cancelled', 'approval_expired', [
      healAudit(heal, auditTypes.approvalExpired, 'approval_expired', { deadline: heal.deadlineAt }),
    ]);
  }
  return move(heal, deps, { set: { nextRunAt: heal.deadlineAt }, audit: [] });
}
