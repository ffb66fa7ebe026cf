// Earned autonomy: a step acts alone only when its recorded success rate says it heals.
import { formatDuration } from './duration.js';
import { type HealRecord, isDryRunRecord, isOpenRecord, triedSteps } from './heal-record.js';

/** `guards.autonomy`: the bound a step's record must meet, over a window, before it acts without a human. */
export type AutonomyRule = { minSuccessRate: number; minSamples: number; windowMs: number };

/**
 * A step's record over a window: `samples` are the heals that tried it and ended (approved or not, dry runs
 * apart), `resolved` those that closed resolved after it. A heal that went on to a later step, escalated or
 * failed is a sample that did not resolve.
 */
export type StepRecord = { samples: number; resolved: number };

export type Window = { since: string; until: string };

/**
 * Whether the record counts for a window: opened in it and ended before its end. Strictly before: a backtest
 * deciding a heal at the moment it opened must not count that heal's own recorded ending.
 */
const inWindow = (r: HealRecord, w: Window) =>
  r.openedAt >= w.since && r.openedAt < w.until && r.closedAt !== null && r.closedAt < w.until;

/** The record of one step of one policy, from its heals. */
export function stepRecordOf(
  records: Iterable<HealRecord>,
  policy: string,
  step: number,
  window: Window,
): StepRecord {
  let samples = 0;
  let resolved = 0;
  for (const r of records) {
    if (r.policy !== policy || isDryRunRecord(r) || isOpenRecord(r) || !inWindow(r, window)) continue;
    const tried = triedSteps(r).find((t) => t.step === step);
    if (!tried) continue;
    samples += 1;
    if (tried.outcome === 'resolved') resolved += 1;
  }
  return { samples, resolved };
}

/** `30 days`, `12 hours`, else the duration's own spelling. */
export function windowText(ms: number): string {
  for (const [unit, size] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ] as const) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return formatDuration(ms);
}

/** A share as people read it: 43 %, 89.9 % (rounded down, so a rate below the bound never reads as it). */
export function percentText(share: number): string {
  const tenths = Math.floor(share * 1000 + 1e-9) / 10;
  return `${Number.isInteger(tenths) ? tenths.toFixed(0) : tenths.toFixed(1)} %`;
}

export type AutonomyVerdict = {
  /** The record meets the rule: the step may act alone. */
  confident: boolean;
  record: StepRecord;
  /** The wait explained in numbers: "k8s.restart resolved 3 of 7 (42.8 %) in 30 days; needs 90 % over at least 5". */
  detail: string;
};

export function assessAutonomy(rule: AutonomyRule, record: StepRecord, action: string): AutonomyVerdict {
  const { samples, resolved } = record;
  const share = samples === 0 ? 0 : resolved / samples;
  const confident = samples >= rule.minSamples && share >= rule.minSuccessRate;
  const seen =
    samples === 0 ? 'has no ended heal' : `resolved ${resolved} of ${samples} (${percentText(share)})`;
  const needs = `needs ${percentText(rule.minSuccessRate)} over at least ${rule.minSamples}`;
  const verdict = confident ? 'acts alone' : 'waits for approval';
  return {
    confident,
    record,
    detail: `${action} ${seen} in ${windowText(rule.windowMs)}; ${needs}: ${verdict}`,
  };
}
