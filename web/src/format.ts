import type { Heal } from '../../src/http/api-types.js';

/** Times in UTC, as the audit log and Alertmanager write them: one clock for everyone in an incident. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.join(' ') || `${ms}ms`;
}

/** `awaiting_approval` → `awaiting approval`; states this page does not know yet read just as well. */
export const words = (s: string) => s.replace(/[._]+/g, ' ').trim();

/** Reasons are codes (`alerts_resolved`) or sentences; codes read as words, sentences as written. */
export const reasonText = (reason: string | null | undefined) =>
  !reason ? '' : /^[a-z0-9_]+$/.test(reason) ? words(reason) : reason;

const tones: Record<string, 'open' | 'wait' | 'good' | 'bad' | 'quiet'> = {
  pending: 'open',
  running: 'open',
  verifying: 'open',
  awaiting_approval: 'wait',
  resolved: 'good',
  escalated: 'bad',
  failed: 'bad',
  refused: 'quiet',
  cancelled: 'quiet',
};

export const stateTone = (state: string) => tones[state] ?? 'quiet';

/** The step the heal is on: the API numbers steps from 1, as the policy lists them. */
export function currentStep(heal: Heal): Heal['steps'][number] | undefined {
  return heal.steps[heal.step - 1];
}

/** Text for any JSON value: strings as they are, the rest as indented JSON. Never markup. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** Only web links become links: a `javascript:` or `data:` URL in an alert stays text. */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** 42.8 %: rounded down, so a rate below a bound never reads as meeting it (as the server says it). */
export const percent = (share: number | null) =>
  share === null ? '—' : `${(Math.floor(share * 1000 + 1e-9) / 10).toString()} %`;
