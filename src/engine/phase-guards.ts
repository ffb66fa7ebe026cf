import { auditTypes } from '../store/audit-types.js';
import type { Heal } from '../store/types.js';
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
      const pageAt = pageTime(policy?.guards.pageAfterMs ?? null, deadline, deps);
      return move(heal, deps, {
        notify: await notificationsFor({ ...heal, state: 'awaiting_approval' }, deps, 'approval.requested', {
          approval: { expiresAt: deadline, wouldDo: wouldDo(heal, deps) },
        }),
        set: {
          state: 'awaiting_approval',
          phase: 'approval',
          deadlineAt: deadline,
          // The page is a timer like the expiry: the store holds it, so it fires after a restart too.
          pageAt,
          nextRunAt: pageAt ?? deadline,
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

/** What each step would do, in words, for the people deciding (the actions' describe()). */
function wouldDo(heal: Heal, deps: EngineDeps): string[] {
  return heal.steps.map((s) => deps.registry.get(s.action)?.describe(heal.target, s.params) ?? s.action);
}

/** When a heal that starts waiting now pages about it; null when its policy never pages, or expiry comes first. */
function pageTime(pageAfterMs: number | null, deadline: string, deps: EngineDeps): string | null {
  if (pageAfterMs === null) return null;
  const at = inMs(deps, pageAfterMs);
  return at < deadline ? at : null;
}

/**
 * The wait has lasted past the policy's `pageAfter`: the policy's notifiers are told it is overdue (PagerDuty
 * triggers an incident), once; the heal keeps waiting for a decision until its expiry.
 */
async function pageOverdue(heal: Heal, deps: EngineDeps): Promise<Heal> {
  const at = nowIso(deps);
  const requested = await deps.store.queryAudit({
    healId: heal.id,
    type: auditTypes.approvalRequested,
    newestFirst: true,
    limit: 1,
  });
  const waitingSince = requested[0]?.at ?? heal.updatedAt;
  const paged = { ...heal, pagedAt: at };
  return move(heal, deps, {
    set: { pageAt: null, pagedAt: at, nextRunAt: heal.deadlineAt },
    audit: [
      healAudit(heal, auditTypes.approvalPaged, 'paged', {
        waitingSince,
        expiresAt: heal.deadlineAt,
        why: 'nobody has approved or rejected the heal yet',
      }),
    ],
    notify: await notificationsFor(paged, deps, 'approval.overdue', {
      approval: {
        waitingSince,
        ...(heal.deadlineAt ? { expiresAt: heal.deadlineAt } : {}),
        wouldDo: wouldDo(heal, deps),
      },
    }),
  });
}

/**
 * awaiting_approval: cancelled when the alerts resolve or the approval expires, paged about when it waits past
 * its policy's `pageAfter`; decisions come from the API and Slack.
 */
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
  if (heal.pageAt !== null && heal.pageAt <= nowIso(deps)) return pageOverdue(heal, deps);
  // Woken early (an alert of the heal resolved, not all of them): back to whichever timer comes first.
  return move(heal, deps, { set: { nextRunAt: heal.pageAt ?? heal.deadlineAt }, audit: [] });
}
