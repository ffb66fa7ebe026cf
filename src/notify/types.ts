import type { NotificationEvent } from '../domain/notification.js';

/** What one attempt to send came to. An unreachable or failing peer is an outcome, not an exception. */
export type SendResult =
  | { outcome: 'sent'; status: number }
  | { outcome: 'retry'; status: number | null; error: string; retryAfterMs?: number }
  | { outcome: 'dead'; status: number | null; error: string };

/**
 * What a notifier answers for one notification: what sending it came to, or that this notifier does not tell
 * this event at all (a pager hears of escalations, not of every step), audited as skipped with why.
 */
export type Delivery = SendResult | { outcome: 'skipped'; why: string };

/** The delivery being made: the event and which attempt it is (from 1). */
export type Outgoing = {
  id: number;
  notifier: string;
  attempt: number;
  /** No attempt follows this one: a failure now is final (the item goes dead). */
  lastAttempt: boolean;
  event: NotificationEvent;
};

/** Alert severities from least to most urgent (the `severity` label). */
export const severities = ['info', 'warning', 'critical', 'page'] as const;
export type Severity = (typeof severities)[number];
