import type { NotificationEvent } from '../domain/notification.js';

// Plain words every notifier may use to tell an event; each notifier escapes them for its own medium.

/** `4m 12s`, `1h 3m`, `2d 5h`: the two largest units, which is what a person reads anyway. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((p) => !p.startsWith('0')).join(' ');
}

/** How long a heal has waited for a decision, by the event's own time (`approval.overdue`); null: unknown. */
export function waitedFor(event: NotificationEvent): string | null {
  const since = event.approval?.waitingSince;
  return since ? humanDuration((Date.parse(event.at) - Date.parse(since)) / 1000) : null;
}
