import type { AuditInput } from '../domain/audit.js';
import type { OutboxItem } from '../store/types.js';

/** Audit record types of notifications and Slack interactions. Stable strings: operators filter on them. */
export const notifyAuditTypes = {
  sent: 'notification.sent',
  failed: 'notification.failed',
  dead: 'notification.dead',
  skipped: 'notification.skipped',
  slackNotAllowed: 'slack.not_allowed',
  slackIgnored: 'slack.ignored',
} as const;

/** An audit record about one outbox item: which notifier, which event, how it went. Never a URL. */
export function notificationAudit(
  item: OutboxItem,
  type: string,
  outcome: string,
  data: Record<string, unknown>,
): AuditInput {
  return {
    type,
    actor: 'salve',
    healId: item.healId,
    policy: item.event.heal.policy,
    target: item.event.heal.targetKey,
    outcome,
    data: {
      notifier: item.notifier,
      kind: item.event.kind,
      outbox: item.id,
      attempt: item.attempts + 1,
      ...data,
    },
  };
}
