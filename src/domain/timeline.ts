import type { AuditRecord } from './audit.js';
import type { TimelineEntry } from './notification.js';

/** Records a page carries at most: the newest, which tell how the heal came to need a human. */
export const timelineLimit = 100;
const MAX_DETAIL = 500;

/** How each delivery went is the outbox's story, not the heal's. */
const LEFT_OUT = /^notification\.|^slack\./;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The words of one record: "step 2 k8s.rollback: rolled back ...", "by token:ops (slack)", an alert's name. */
function detailOf(record: AuditRecord): string | null {
  const data = record.data;
  const step = typeof data.step === 'number' && text(data.action) ? `step ${data.step} ${data.action}` : '';
  const said =
    text(data.detail) ??
    text(data.why) ??
    text(data.message) ??
    text(data.wouldHave) ??
    text((data.trigger as { alertname?: unknown } | undefined)?.alertname) ??
    text(data.alertname);
  const by = record.actor !== 'salve' && record.type.startsWith('approval.') ? `by ${record.actor}` : '';
  const words = [step, said, by].filter((w) => w !== undefined && w !== '').join(': ');
  if (words === '') return null;
  return words.length > MAX_DETAIL ? `${words.slice(0, MAX_DETAIL - 1)}…` : words;
}

/** A heal's audit records, oldest first, as the lines of its story that a page carries. */
export function timelineOf(records: readonly AuditRecord[]): TimelineEntry[] {
  return records
    .filter((r) => !LEFT_OUT.test(r.type))
    .map((r) => ({ at: r.at, type: r.type, outcome: r.outcome, detail: detailOf(r) }));
}
