import { auditTypes } from '../store/audit-types.js';
import type { Heal } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { type GuardDecision, runGuards } from './guards.js';
import { allAlertsResolved, closeHeal, healAudit, inMs, move, nowIso } from './moves.js';
import { notificationsFor } from './notify-events.js';

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
    return closeHeal(
      heal,
      deps,
      'cancelled',
      'alerts_resolved',
      [
        healAudit(heal, auditTypes.healCancelled, 'alerts_resolved', {
          why: 'every attached alert resolved before salve acted',
        }),
      ],
      // Nobody was told about this heal yet, unless it was held: then say it is over.
      heal.reason === 'paused'
        ? await notificationsFor(heal, deps, 'heal.cancelled', {
            cancellation: { reason: 'alerts_resolved' },
          })
        : [],
    );
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
    case 'await_approval': {
      const deadline = inMs(deps, deps.settings.approvalTimeoutMs);
      const wouldDo = heal.steps.map(
        (s) => deps.registry.get(s.action)?.describe(heal.target, s.params) ?? s.action,
      );
      return move(heal, deps, {
        notify: await notificationsFor({ ...heal, state: 'awaiting_approval' }, deps, 'approval.requested', {
          approval: { expiresAt: deadline, wouldDo },
        }),
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
        // Told once: after an approval, the decision message already said that salve acts now.
        notify: approved ? [] : await notificationsFor({ ...heal, state: 'running' }, deps, 'heal.opened'),
        set: { state: 'running', phase: 'action', attempt: 0, nextRunAt: nowIso(deps), reason: null },
        audit: decisions.map((d) => decisionAudit(heal, d)),
      });
  }
}

/** awaiting_approval: cancelled when the alerts resolve or the approval expires; decisions come from the API. */
export async function approvalPhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  if (await allAlertsResolved(heal, deps)) {
    return closeHeal(
      heal,
      deps,
      'cancelled',
      'alerts_resolved',
      [
        healAudit(heal, auditTypes.healCancelled, 'alerts_resolved', {
          why: 'every attached alert resolved while waiting for approval',
        }),
      ],
      await notificationsFor({ ...heal, state: 'cancelled' }, deps, 'heal.cancelled', {
        cancellation: { reason: 'alerts_resolved' },
      }),
    );
  }
  if (heal.deadlineAt && heal.deadlineAt <= nowIso(deps)) {
    return closeHeal(
      heal,
      deps,
      'cancelled',
      'approval_expired',
      [healAudit(heal, auditTypes.approvalExpired, 'approval_expired', { deadline: heal.deadlineAt })],
      await notificationsFor({ ...heal, state: 'cancelled' }, deps, 'heal.cancelled', {
        cancellation: { reason: 'approval_expired' },
      }),
    );
  }
  return move(heal, deps, { set: { nextRunAt: heal.deadlineAt }, audit: [] });
}
