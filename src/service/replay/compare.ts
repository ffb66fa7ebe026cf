import type { ReplayHeal, ReplayTotals } from './tally.js';

type Counts = { heals: number; actions: number };

/** What the replayed table would have done differently from the baseline (the recorded history, or the table in force). */
export type ReplayDifference = {
  policies: Array<{ policy: string; baseline: Counts; replay: Counts }>;
  /** Heals only one side opened (same policy, target and opening time), the first `limit` of each. */
  onlyInReplay: ReplayHeal[];
  onlyInBaseline: ReplayHeal[];
  /** Heals both opened that took other actions or ended otherwise. */
  changed: Array<{ baseline: ReplayHeal; replay: ReplayHeal }>;
  counts: { onlyInReplay: number; onlyInBaseline: number; changed: number };
};

const key = (h: ReplayHeal) => `${h.policy}\u0000${h.target}\u0000${h.openedAt}`;
const counted = (h: ReplayHeal) => h.actions.filter((a) => !a.dryRun).length;
const acts = (h: ReplayHeal) => h.actions.map((a) => `${a.step}:${a.action}:${a.dryRun}`).join(',');

export function policyCounts(heals: readonly ReplayHeal[]): Record<string, Counts> {
  const out: Record<string, Counts> = {};
  for (const h of heals) {
    const c = out[h.policy] ?? { heals: 0, actions: 0 };
    out[h.policy] = c;
    c.heals += 1;
    c.actions += counted(h);
  }
  return out;
}

export function compareReplay(
  baseline: { heals: readonly ReplayHeal[]; policies: Record<string, Counts> },
  replay: { heals: readonly ReplayHeal[]; totals: Pick<ReplayTotals, 'policies'> },
  limit = 50,
): ReplayDifference {
  const names = [
    ...new Set([...Object.keys(baseline.policies), ...Object.keys(replay.totals.policies)]),
  ].sort();
  const zero = { heals: 0, actions: 0 };
  const before = new Map(baseline.heals.map((h) => [key(h), h]));
  const after = new Map(replay.heals.map((h) => [key(h), h]));
  const onlyInReplay = replay.heals.filter((h) => !before.has(key(h)));
  const onlyInBaseline = baseline.heals.filter((h) => !after.has(key(h)));
  const changed = replay.heals.flatMap((r) => {
    const b = before.get(key(r));
    return b && (acts(b) !== acts(r) || b.state !== r.state) ? [{ baseline: b, replay: r }] : [];
  });
  return {
    policies: names.map((policy) => ({
      policy,
      baseline: baseline.policies[policy] ?? zero,
      replay: replay.totals.policies[policy] ?? zero,
    })),
    onlyInReplay: onlyInReplay.slice(0, limit),
    onlyInBaseline: onlyInBaseline.slice(0, limit),
    changed: changed.slice(0, limit),
    counts: {
      onlyInReplay: onlyInReplay.length,
      onlyInBaseline: onlyInBaseline.length,
      changed: changed.length,
    },
  };
}
