import type { Clock } from '../clock.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { computeEffectiveness, type EffectivenessStats } from '../domain/effectiveness.js';
import { SalveError } from '../errors.js';
import type { Store } from '../store/types.js';

export type StatsReport = EffectivenessStats & { window: string };

/** The longest window statistics look back over: a year of heals. */
const maxWindowMs = 366 * 86_400_000;

/** `30d`, `12h`: how far back a report looks. Refused with the name of what was wrong. */
export function parseWindow(text: string, what: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new SalveError('SALVE_REQUEST_INVALID', `${what}: ${parsed.error}`);
  if (parsed.ms <= 0 || parsed.ms > maxWindowMs) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `${what}: expected a window longer than 0 and at most 366d`,
    );
  }
  return parsed.ms;
}

/** Heal effectiveness over the last `windowMs`, from the store's heal history. */
export async function effectivenessReport(
  deps: { store: Pick<Store, 'healHistory'>; clock: Clock },
  windowMs: number,
): Promise<StatsReport> {
  const now = deps.clock.now();
  const since = new Date(now.getTime() - windowMs).toISOString();
  const records = await deps.store.healHistory({ since });
  return {
    window: formatDuration(windowMs),
    ...computeEffectiveness(records, { since, until: now.toISOString() }),
  };
}
