// What humans are told about heals. Notifiers (src/notify) turn these events into messages.
import type { TargetRef } from './target.js';

/** What happened to a heal, told to humans. One heal's events read as one story. */
export const notificationKinds = [
  'heal.opened',
  'step.result',
  'heal.resolved',
  'heal.escalated',
  'heal.refused',
  'heal.cancelled',
  'heal.dry_run',
  'approval.requested',
  /** Still waiting for a decision past the policy's `guards.approval.pageAfter`: someone must be paged. */
  'approval.overdue',
  'approval.decided',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export type NotificationEvent = {
  kind: NotificationKind;
  at: string;
  heal: {
    id: string;
    policy: string;
    target: TargetRef;
    targetKey: string;
    state: string;
    dryRun: boolean;
    openedAt: string;
    steps: Array<{ action: string }>;
    /** Link to the heal in salve's API, when SALVE_PUBLIC_URL is set. */
    url: string | null;
    /** Link to the heal in the operator console, when SALVE_PUBLIC_URL is set. */
    consoleUrl: string | null;
    /**
     * When salve paged a human about this heal while it was open (its approval waited past `pageAfter`); null
     * when it never did. Pagers close what they opened from it: the heal's end resolves the page.
     */
    pagedAt: string | null;
    /**
     * Link to the heal's trace, when SALVE_TRACE_URL is set and the heal is traced (and sampled). Absent from
     * events queued before salve knew traces.
     */
    traceUrl?: string | null;
  };
  /** The alert that opened the heal, when an alert did. */
  alert: {
    alertname: string;
    fingerprint: string;
    severity: string | null;
    summary: string | null;
    generatorURL: string | null;
    /** Alertmanager's externalURL from the delivery. */
    alertmanagerURL: string | null;
  } | null;
  step?: {
    /** From 1, as everywhere people see steps. */
    number: number;
    action: string;
    status: 'changed' | 'unchanged' | 'failed' | 'dry_run';
    detail: string;
  };
  refusal?: { guard: string; reason: string; detail: string };
  /** `tried[].step` counts from 1. */
  escalation?: { why: string; tried: Array<{ step: number; action: string }> };
  resolution?: { timeToResolveSeconds: number };
  cancellation?: { reason: string };
  /** What happened to the heal so far, oldest first (on `heal.escalated` and `approval.overdue`). */
  timeline?: TimelineEntry[];
  /** A dry run's end: the state it would have come to, and why. Nothing outside salve was changed. */
  dryRun?: { wouldHave: 'resolved' | 'escalated'; why: string };
  approval?: {
    /** When the heal began to wait for a decision (on `approval.overdue`). */
    waitingSince?: string;
    expiresAt?: string;
    /** What would be done, in words (the actions' describe()). */
    wouldDo?: string[];
    /** Which guard asks for a human, and why in its words (autonomy: the step's record in numbers). */
    why?: { guard: string; detail: string };
    decision?: 'approved' | 'rejected';
    decidedBy?: string;
  };
};

/** One line of a heal's story, from its audit records: `step 2 k8s.rollback: changed: rolled back ...`. */
export type TimelineEntry = {
  at: string;
  /** The audit record's type: `action.finished`, `approval.requested`, ... */
  type: string;
  outcome: string | null;
  detail: string | null;
};

/** A notification waiting in the durable outbox, addressed to one notifier. */
export type OutboxInput = { notifier: string; event: NotificationEvent };
