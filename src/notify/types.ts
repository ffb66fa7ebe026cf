import type { NotificationEvent } from '../domain/notification.js';

/** What one delivery attempt came to. An unreachable or failing peer is an outcome, not an exception. */
export type Delivery =
  | { outcome: 'sent'; status: number }
  | { outcome: 'retry'; status: number | null; error: string; retryAfterMs?: number }
  | { outcome: 'dead'; status: number | null; error: string };

/** The delivery being made: the event and which attempt it is. */
export type Outgoing = { id: number; notifier: string; attempt: number; event: NotificationEvent };

/** One configured destination for notifications: a Slack channel, a webhook consumer. */
export type Notifier = {
  name: string;
  type: NotifierType;
  /** Lowest alert severity this notifier is told about; null: everything. */
  minSeverity: Severity | null;
  send(outgoing: Outgoing): Promise<Delivery>;
};

export const notifierTypes = ['slack', 'webhook'] as const;
export type NotifierType = (typeof notifierTypes)[number];

/** Alert severities from least to most urgent (the `severity` label). */
export const severities = ['info', 'warning', 'critical', 'page'] as const;
export type Severity = (typeof severities)[number];
