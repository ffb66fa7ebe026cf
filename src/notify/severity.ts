import type { NotificationEvent } from '../domain/notification.js';
import { type Severity, severities } from './types.js';

function rank(severity: string): number {
  return severities.indexOf(severity.toLowerCase() as Severity);
}

/**
 * Whether a notifier with this minimum severity is told about the event. Approvals always go through (a heal that
 * waits for a human must reach one), and so do events without a known severity (manual heals, custom labels):
 * a notification filtered by mistake is a message lost.
 */
export function passesSeverity(event: NotificationEvent, minSeverity: Severity | null): boolean {
  if (minSeverity === null || event.kind.startsWith('approval.')) return true;
  const severity = event.alert?.severity;
  if (!severity || rank(severity) < 0) return true;
  return rank(severity) >= rank(minSeverity);
}
