// The heal state machine as data: one table of (stage, event) -> next stage, with the audit records and the
// notifications each move produces. Every move of every heal goes through `apply` (heal-apply.ts);
// docs/heal-lifecycle.md is generated from this table (src/domain/render-lifecycle.ts).
import { auditTypes } from './audit.js';
import { type Heal, type HealStage, type OpenStage, stepNumber } from './heal.js';
import type { EventOf, HealEvent, HealEventType } from './heal-events.js';
import {
  alertsResolved,
  alertsResolvedBeforeActing,
  approvalDecided,
  approvalOverdue,
  decisionsAudit,
  guardRefused,
  healAudit,
  type Made,
  nextStep,
  nothingToVerify,
  stepFinished,
  stepRetry,
  stepsExhausted,
} from './heal-moves.js';
import type { NotificationKind } from './notification.js';

/** One move: where the event takes the heal, what it records and whom it tells. */
export type Move<E extends HealEventType> = {
  to: HealStage;
  /** A dry run ends in `dry_run` instead: it healed nothing and paged no one (the event says it is one). */
  endsDryRun?: true;
  /** The guards that passed come first, one `guard.passed` record each. */
  guards?: true;
  /** The kinds of record the move writes, in order (after the guards' records). */
  audit: readonly string[];
  /** The kinds of notification it may cause (some only when they tell something new). */
  notify: readonly NotificationKind[];
  make(heal: Heal, event: EventOf<E>): Made;
};

type Table = { [S in OpenStage]: { [E in HealEventType]?: Move<E> } };

const a = auditTypes;
const stepAction = (heal: Heal) => heal.steps[heal.step]?.action;

const refused = {
  to: 'refused',
  guards: true,
  audit: [a.guardRefused, a.healRefused],
  notify: ['heal.refused'],
  make: guardRefused,
} as const satisfies Move<'guard_refused'>;

const escalated = {
  to: 'escalated',
  endsDryRun: true,
  guards: true,
  audit: [a.guardRefused, a.healEscalated],
  notify: ['heal.escalated'],
  make: guardRefused,
} as const satisfies Move<'guard_escalated'>;

const cancelledByAlerts = {
  to: 'cancelled',
  audit: [a.healCancelled],
  notify: ['heal.cancelled'],
  make: alertsResolvedBeforeActing,
} as const satisfies Move<'alerts_resolved'>;

const nextStepAfter = (cause: string) =>
  ({ to: 'action', audit: [cause, a.healNextStep], notify: [], make: nextStep }) satisfies Move<'next_step'>;

const escalatedAfter = (cause: string, notify: NotificationKind[]) =>
  ({
    to: 'escalated',
    endsDryRun: true,
    audit: [cause, a.healEscalated],
    notify: [...notify, 'heal.escalated'],
    make: stepsExhausted,
  }) satisfies Move<'steps_exhausted'>;

export const healMachine = {
  guards: {
    alerts_resolved: cancelledByAlerts,
    // Audited once: while the pause lasts, the engine only looks again later (no move).
    guard_held: {
      to: 'guards',
      guards: true,
      audit: [a.guardHeld],
      notify: [],
      make: (heal, e) => ({
        set: { reason: 'paused', nextRunAt: e.retryAt },
        audit: decisionsAudit(heal, e.passed, e.hold),
      }),
    },
    guard_refused: refused,
    guard_escalated: escalated,
    approval_required: {
      to: 'approval',
      guards: true,
      audit: [a.approvalRequested],
      notify: ['approval.requested'],
      make: (heal, e) => ({
        // The page is a timer like the expiry: the store holds it, so it fires after a restart too. The reason
        // says why a human must decide, in the guard's words (for autonomy, in numbers).
        set: {
          deadlineAt: e.expiresAt,
          pageAt: e.pageAt,
          nextRunAt: e.pageAt ?? e.expiresAt,
          reason: e.request.detail,
        },
        audit: decisionsAudit(heal, e.passed, e.request),
        notify: [
          {
            kind: 'approval.requested',
            approval: {
              expiresAt: e.expiresAt,
              wouldDo: e.wouldDo,
              why: { guard: e.request.guard, detail: e.request.detail },
            },
          },
        ],
      }),
    },
    guards_passed: {
      to: 'action',
      guards: true,
      audit: [],
      notify: ['heal.opened'],
      make: (heal, e) => ({
        set: { attempt: 0, nextRunAt: e.at, reason: null },
        audit: decisionsAudit(heal, e.passed),
        // Told once: after an approval, the decision message already said that salve acts now.
        notify: heal.approvedBy === null ? [{ kind: 'heal.opened' }] : [],
        ...(e.reserve ? { reserveSlot: e.reserve } : {}),
      }),
    },
  },
  approval: {
    alerts_resolved: cancelledByAlerts,
    approval_expired: {
      to: 'cancelled',
      audit: [a.approvalExpired],
      notify: ['heal.cancelled'],
      make: (heal) => ({
        set: { reason: 'approval_expired' },
        audit: [healAudit(heal, a.approvalExpired, 'approval_expired', { deadline: heal.deadlineAt })],
        notify: [{ kind: 'heal.cancelled', cancellation: { reason: 'approval_expired' } }],
      }),
    },
    // Nobody decided within the policy's pageAfter: its notifiers page someone (PagerDuty opens an incident),
    // once; the heal keeps waiting until its expiry.
    approval_overdue: {
      to: 'approval',
      audit: [a.approvalPaged],
      notify: ['approval.overdue'],
      make: approvalOverdue,
    },
    // Back through the guards: pause, cooldown and limits may have changed while it waited.
    approved: {
      to: 'guards',
      audit: [a.approvalGranted],
      notify: ['approval.decided'],
      make: approvalDecided,
    },
    rejected: {
      to: 'cancelled',
      audit: [a.approvalRejected],
      notify: ['approval.decided'],
      make: approvalDecided,
    },
  },
  action: {
    step_invalid: {
      to: 'failed',
      audit: [a.healFailed],
      notify: [],
      make: (heal, e) => ({
        set: { reason: 'invalid_step' },
        audit: [healAudit(heal, a.healFailed, 'invalid_step', { step: stepNumber(heal), why: e.why })],
      }),
    },
    step_dry_run: {
      to: 'resolve',
      audit: [a.actionDryRun],
      notify: ['step.result'],
      make: (heal, e) => {
        const detail = `would have: ${e.wouldDo}`;
        return {
          set: { deadlineAt: e.deadlineAt, nextRunAt: e.at },
          startAction: e.record,
          finishAction: { step: heal.step, status: 'dry_run', detail },
          audit: [
            healAudit(heal, a.actionDryRun, 'dry_run', {
              step: stepNumber(heal),
              action: stepAction(heal),
              wouldHave: e.wouldDo,
              dryRun: true,
            }),
          ],
          notify: [
            {
              kind: 'step.result',
              step: { number: stepNumber(heal), action: stepAction(heal) ?? '', status: 'dry_run', detail },
            },
          ],
        };
      },
    },
    // Recorded before the request: a crash after it re-runs the (idempotent) action rather than forgetting it.
    // The slot the guards reserved becomes the action; a later step takes its own slot here, atomically.
    step_started: {
      to: 'action',
      audit: [a.actionStarted],
      notify: [],
      make: (heal, e) => ({
        reserveSlot: { action: e.record, limits: e.limits },
        startAction: e.record,
        audit: [
          healAudit(heal, a.actionStarted, 'started', {
            step: stepNumber(heal),
            action: stepAction(heal),
            attempt: heal.attempt,
            params: e.params,
          }),
        ],
      }),
    },
    // A later step's slot found a counted limit full: refused by that limit's guard.
    guard_refused: refused,
    guard_escalated: escalated,
    step_finished: { to: 'resolve', audit: [a.actionFinished], notify: ['step.result'], make: stepFinished },
    step_rolling_out: {
      to: 'rollout',
      audit: [a.actionFinished],
      notify: ['step.result'],
      make: stepFinished,
    },
    step_retry: { to: 'action', audit: [a.actionRetry], notify: [], make: stepRetry },
    next_step: { ...nextStepAfter(a.actionFailed), notify: ['step.result'] },
    steps_exhausted: escalatedAfter(a.actionFailed, ['step.result']),
  },
  rollout: {
    rollout_done: {
      to: 'resolve',
      audit: [a.verifyRollout],
      notify: [],
      make: (heal, e) => ({
        set: { deadlineAt: e.deadlineAt, nextRunAt: e.at },
        audit: [healAudit(heal, a.verifyRollout, 'done', { step: stepNumber(heal), detail: e.detail })],
      }),
    },
    next_step: nextStepAfter(a.verifyRollout),
    steps_exhausted: escalatedAfter(a.verifyRollout, []),
  },
  resolve: {
    alerts_resolved: {
      to: 'resolved',
      endsDryRun: true,
      audit: [a.verifyResolved, a.healResolved],
      notify: ['heal.resolved'],
      make: alertsResolved,
    },
    nothing_to_verify: {
      to: 'resolved',
      endsDryRun: true,
      audit: [a.healResolved],
      notify: ['heal.resolved'],
      make: nothingToVerify,
    },
    next_step: nextStepAfter(a.verifyResolved),
    steps_exhausted: escalatedAfter(a.verifyResolved, []),
  },
} as const satisfies Table;

type Machine = typeof healMachine;

/** The events legal from every stage in S. */
export type EventFrom<S extends OpenStage> = Extract<HealEvent, { type: keyof Machine[S] }>;
