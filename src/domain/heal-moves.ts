// What each move of the heal state machine writes: the builders its table (heal-machine.ts) points at.
import { type AuditInput, auditTypes } from './audit.js';
import type { GuardDecision } from './guard.js';
import { type Heal, stepNumber } from './heal.js';
import type { EventOf, StepFailure } from './heal-events.js';
import type { HealPatch, NotificationDraft, Transition } from './heal-transition.js';

/** What a move's builder makes; the machine adds the stage, and what every ending writes. */
export type Made = Pick<
  Transition,
  | 'reserveSlot'
  | 'startAction'
  | 'finishAction'
  | 'resolveAlerts'
  | 'requireAlertsResolved'
  | 'releaseTargetLock'
> & {
  set?: Omit<HealPatch, 'stage' | 'closedAt'>;
  audit: AuditInput[];
  notify?: NotificationDraft[];
};

/** An audit record about a heal, by salve itself unless someone else is named. */
export function healAudit(
  heal: Pick<Heal, 'id' | 'policy' | 'targetKey'>,
  type: string,
  outcome: string | null,
  data: Record<string, unknown>,
  actor = 'salve',
): AuditInput {
  return { type, actor, healId: heal.id, policy: heal.policy, target: heal.targetKey, outcome, data };
}

function decisionAudit(heal: Heal, d: GuardDecision): AuditInput {
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

/** The guards' decisions, every one audited: those that passed, then the one that decided. */
export const decisionsAudit = (heal: Heal, passed: GuardDecision[], last?: GuardDecision) =>
  [...passed, ...(last ? [last] : [])].map((d) => decisionAudit(heal, d));

const action = (heal: Heal) => heal.steps[heal.step]?.action;

export function guardRefused(heal: Heal, e: EventOf<'guard_refused' | 'guard_escalated'>): Made {
  const { guard, reason, detail } = e.refusal;
  const refusal = { guard, reason, detail };
  const escalate = e.type === 'guard_escalated';
  return {
    set: { reason },
    audit: [
      ...decisionsAudit(heal, e.passed, e.refusal),
      healAudit(
        heal,
        escalate ? auditTypes.healEscalated : auditTypes.healRefused,
        escalate ? 'escalated' : 'refused',
        {
          guard,
          why: reason,
          detail,
        },
      ),
    ],
    notify: escalate
      ? [{ kind: 'heal.escalated', refusal, escalation: { why: `${reason}: ${detail}`, tried: [] } }]
      : [{ kind: 'heal.refused', refusal }],
  };
}

export function alertsResolvedBeforeActing(heal: Heal): Made {
  const held = heal.stage === 'guards';
  return {
    set: { reason: 'alerts_resolved' },
    audit: [
      healAudit(heal, auditTypes.healCancelled, 'alerts_resolved', {
        why: held
          ? 'every attached alert resolved before salve acted'
          : 'every attached alert resolved while waiting for approval',
      }),
    ],
    // Nobody was told about a pending heal yet, unless it was held: then say it is over.
    notify:
      !held || heal.reason === 'paused'
        ? [{ kind: 'heal.cancelled', cancellation: { reason: 'alerts_resolved' } }]
        : [],
  };
}

export function approvalDecided(heal: Heal, e: EventOf<'approved' | 'rejected'>): Made {
  const approved = e.type === 'approved';
  const outcome = approved ? 'approved' : 'rejected';
  return {
    set: approved
      ? {
          approvedBy: e.actor,
          approvedAt: e.at,
          nextRunAt: e.at,
          deadlineAt: null,
          pageAt: null,
          reason: 'approved',
        }
      : { reason: 'rejected' },
    audit: [
      healAudit(
        heal,
        approved ? auditTypes.approvalGranted : auditTypes.approvalRejected,
        outcome,
        { comment: e.comment, via: e.via },
        e.actor,
      ),
    ],
    notify: [{ kind: 'approval.decided', approval: { decision: outcome, decidedBy: e.actor } }],
  };
}

export function approvalOverdue(heal: Heal, e: EventOf<'approval_overdue'>): Made {
  const expiresAt = heal.deadlineAt ?? undefined;
  return {
    set: { pageAt: null, pagedAt: e.at, nextRunAt: heal.deadlineAt },
    audit: [
      healAudit(heal, auditTypes.approvalPaged, 'paged', {
        waitingSince: e.waitingSince,
        expiresAt: heal.deadlineAt,
        why: 'nobody has approved or rejected the heal yet',
      }),
    ],
    notify: [
      {
        kind: 'approval.overdue',
        approval: { waitingSince: e.waitingSince, ...(expiresAt ? { expiresAt } : {}), wouldDo: e.wouldDo },
      },
    ],
  };
}

export function stepFinished(heal: Heal, e: EventOf<'step_finished' | 'step_rolling_out'>): Made {
  const { status, detail, data, durationMs } = e.result;
  return {
    set: { deadlineAt: e.deadlineAt, nextRunAt: e.nextRunAt },
    finishAction: { step: heal.step, status, detail },
    audit: [
      healAudit(heal, auditTypes.actionFinished, status, {
        step: stepNumber(heal),
        action: action(heal),
        attempt: heal.attempt,
        detail,
        ...(data ? { result: data } : {}),
        durationMs,
      }),
    ],
    notify: [
      { kind: 'step.result', step: { number: stepNumber(heal), action: action(heal) ?? '', status, detail } },
    ],
  };
}

function actionFailure(heal: Heal, f: Extract<StepFailure, { in: 'action' }>) {
  const { code, message, retryable, durationMs } = f;
  return {
    step: stepNumber(heal),
    action: action(heal),
    attempt: heal.attempt,
    code,
    message,
    retryable,
    durationMs,
  };
}

export function stepRetry(heal: Heal, e: EventOf<'step_retry'>): Made {
  return {
    set: { attempt: heal.attempt + 1, nextRunAt: e.retryAt },
    releaseTargetLock: true,
    audit: [
      healAudit(heal, auditTypes.actionRetry, 'retry', {
        ...actionFailure(heal, e.failure),
        retryInMs: e.retryInMs,
      }),
    ],
  };
}

/** Why the step did not heal, in words: the reason of the next step or the escalation. */
export function failureWhy(heal: Heal, f: StepFailure): string {
  if (f.in === 'action') return `action ${action(heal)} failed: ${f.code}`;
  if (f.in === 'rollout') return `rollout ${f.outcome}: ${f.detail}`;
  return `${f.stillFiring} alert(s) still firing at the deadline`;
}

/** What the failure itself writes, where the step gave up. */
function failureMade(heal: Heal, f: StepFailure): Pick<Made, 'audit' | 'notify' | 'finishAction'> {
  if (f.in === 'action') {
    const detail = `${f.code}: ${f.message}`;
    return {
      finishAction: { step: heal.step, status: 'failed', detail },
      audit: [healAudit(heal, auditTypes.actionFailed, f.code, actionFailure(heal, f))],
      notify: [
        {
          kind: 'step.result',
          step: { number: stepNumber(heal), action: action(heal) ?? '', status: 'failed', detail },
        },
      ],
    };
  }
  if (f.in === 'rollout') {
    const data = { step: stepNumber(heal), detail: f.detail, deadline: heal.deadlineAt };
    return { audit: [healAudit(heal, auditTypes.verifyRollout, f.outcome, data)], notify: [] };
  }
  const data = { step: stepNumber(heal), stillFiring: f.stillFiring, deadline: heal.deadlineAt };
  return { audit: [healAudit(heal, auditTypes.verifyResolved, 'timed_out', data)], notify: [] };
}

export function nextStep(heal: Heal, e: EventOf<'next_step'>): Made {
  const failed = failureMade(heal, e.failure);
  const why = failureWhy(heal, e.failure);
  const next = heal.step + 1;
  return {
    ...failed,
    set: { step: next, attempt: 0, nextRunAt: e.at, deadlineAt: null, reason: why },
    releaseTargetLock: true,
    audit: [
      ...failed.audit,
      healAudit(heal, auditTypes.healNextStep, 'next_step', {
        from: { step: stepNumber(heal), action: action(heal) },
        to: { step: next + 1, action: heal.steps[next]?.action },
        why,
      }),
    ],
  };
}

export function stepsExhausted(heal: Heal, e: EventOf<'steps_exhausted'>): Made {
  const failed = failureMade(heal, e.failure);
  const why = failureWhy(heal, e.failure);
  const tried = heal.steps.map((s, i) => ({ step: i + 1, action: s.action }));
  return {
    ...failed,
    set: { reason: why },
    audit: [
      ...failed.audit,
      healAudit(heal, auditTypes.healEscalated, 'escalated', { why, tried, needs: 'a human' }),
    ],
    notify: [...(failed.notify ?? []), { kind: 'heal.escalated', escalation: { why, tried } }],
  };
}

const secondsSince = (from: string, to: string) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;

export function alertsResolved(heal: Heal, e: EventOf<'alerts_resolved'>): Made {
  const timeToResolveSeconds = secondsSince(heal.openedAt, e.at);
  return {
    set: { reason: 'alerts_resolved' },
    requireAlertsResolved: true,
    resolveAlerts: e.resolvedByApi ?? [],
    audit: [
      healAudit(heal, auditTypes.verifyResolved, 'resolved', {
        step: stepNumber(heal),
        source: e.source ?? 'alertmanager notifications',
      }),
      healAudit(heal, auditTypes.healResolved, 'resolved', {
        step: stepNumber(heal),
        action: action(heal),
        timeToResolveSeconds,
      }),
    ],
    notify: [{ kind: 'heal.resolved', resolution: { timeToResolveSeconds } }],
  };
}

export function nothingToVerify(heal: Heal, e: EventOf<'nothing_to_verify'>): Made {
  return {
    set: { reason: 'action_succeeded' },
    // An alert that attached after the check keeps the heal open: it is verified at the next turn.
    requireAlertsResolved: true,
    audit: [
      healAudit(heal, auditTypes.healResolved, 'resolved', {
        how: 'manual heal: the step succeeded; no alert to wait for',
      }),
    ],
    notify: [
      { kind: 'heal.resolved', resolution: { timeToResolveSeconds: secondsSince(heal.openedAt, e.at) } },
    ],
  };
}
