import { auditTypes } from '../domain/audit.js';
import type { Heal } from '../domain/heal.js';
import type { EngineDeps } from './context.js';
import { actionLimits, type GuardDecision, runGuards } from './guards.js';
import {
  actionRecord,
  allAlertsResolved,
  closeHeal,
  healAudit,
  inMs,
  isDryRun,
  move,
  nowIso,
} from './moves.js';
import { notificationsFor } from './notify-events.js';
import { decisionAudit, refuseHeal, withSlot } from './refuse.js';

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

  switch (last.verdict) {
    case 'hold': {
      // Audit the hold once, not at every poll.
      const first = heal.reason !== 'paused';
      return move(heal, deps, {
        set: { reason: 'paused', nextRunAt: inMs(deps, deps.settings.pollMs) },
        audit: first ? decisions.map((d) => decisionAudit(heal, d)) : [],
      });
    }
    case 'refuse':
      return refuseHeal(heal, deps, decisions, last);
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
    case 'pass': {
      // Told once: after an approval, the decision message already said that salve acts now.
      const notify = approved
        ? []
        : await notificationsFor({ ...heal, state: 'running' }, deps, 'heal.opened');
      // The action's slot in the counted limits is taken with this move: what the guards read is re-checked,
      // atomically, against every heal that passed at the same moment on any replica.
      const dryRun = isDryRun(heal, policy, deps);
      const reserveSlot = dryRun
        ? undefined
        : { action: actionRecord(heal, dryRun), limits: await actionLimits(heal, policy, deps) };
      return withSlot(heal, policy, deps, decisions, () =>
        move(heal, deps, {
          notify,
          set: { state: 'running', phase: 'action', attempt: 0, nextRunAt: nowIso(deps), reason: null },
          audit: decisions.map((d) => decisionAudit(heal, d)),
          reserveSlot,
        }),
      );
    }
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
