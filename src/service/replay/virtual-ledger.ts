import { stepRecordOf } from '../../domain/autonomy.js';
import type { HealRecord } from '../../domain/heal-record.js';
import type { ActionLimits, LimitCounts } from '../../domain/ledger.js';
import type { GuardReads } from '../../engine/guard-reads.js';

type Entry = { at: number; policy: string; healId: string };

/** The first index whose time is at or after `since` (times are appended in order: virtual time only grows). */
function lowerBound(times: readonly number[], since: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const ms = (iso: string) => Date.parse(iso);

/**
 * The action ledger as the backtest keeps it, in memory: the counted actions (not failed, not dry runs) the
 * recorded history took before the window and those the replayed table takes in it, counted the way the
 * stores count them (src/store/*\/slots.ts: the ceiling, the breaker, the cooldown by another heal). It answers
 * the guards' reads (`GuardReads`) at the virtual time, and the autonomy guard from the recorded heals.
 */
export function createVirtualLedger(recorded: readonly HealRecord[], horizonMs = Number.POSITIVE_INFINITY) {
  let all: number[] = [];
  let taken = 0;
  const byTarget = new Map<string, { times: number[]; entries: Entry[] }>();
  const recordsByPolicy = new Map<string, HealRecord[]>();
  for (const r of recorded) {
    const list = recordsByPolicy.get(r.policy) ?? [];
    list.push(r);
    recordsByPolicy.set(r.policy, list);
  }

  function add(targetKey: string, entry: Entry): void {
    all.push(entry.at);
    let t = byTarget.get(targetKey);
    if (!t) {
      t = { times: [], entries: [] };
      byTarget.set(targetKey, t);
    }
    t.times.push(entry.at);
    t.entries.push(entry);
  }

  /** The latest action of `policy` on the target at or after `since`, by a heal other than `exceptHeal`. */
  function lastOf(targetKey: string, policy: string, since = Number.NEGATIVE_INFINITY, exceptHeal?: string) {
    const entries = byTarget.get(targetKey)?.entries ?? [];
    for (let i = entries.length - 1; i >= 0 && entries[i]!.at >= since; i--) {
      const e = entries[i]!;
      if (e.policy === policy && e.healId !== exceptHeal) return e.at;
    }
    return null;
  }

  const countSince = (times: readonly number[] | undefined, since: number) =>
    times ? times.length - lowerBound(times, since) : 0;

  const reads: GuardReads = {
    paused: async () => false,
    breakerResetAt: async () => null,
    async lastActionAt(policy, targetKey) {
      const at = lastOf(targetKey, policy);
      return at === null ? null : new Date(at).toISOString();
    },
    async countActions(q) {
      return countSince(q.targetKey === undefined ? all : byTarget.get(q.targetKey)?.times, ms(q.since));
    },
    async stepRecord(policy, step, window) {
      return stepRecordOf(recordsByPolicy.get(policy) ?? [], policy, step, window);
    },
  };

  /** Forgets actions no guard looks back to any more (`horizonMs`: the longest look back): memory stays flat. */
  function forget(before: number): void {
    all = all.slice(lowerBound(all, before));
    for (const [key, t] of byTarget) {
      const from = lowerBound(t.times, before);
      if (from === t.times.length) byTarget.delete(key);
      else if (from > 0) byTarget.set(key, { times: t.times.slice(from), entries: t.entries.slice(from) });
    }
  }

  return {
    reads,
    /** Takes an action's slot at `at` (a counted action from then on). */
    take(a: { healId: string; policy: string; targetKey: string }, at: number): void {
      add(a.targetKey, { at, policy: a.policy, healId: a.healId });
      if (++taken % 50_000 === 0 && Number.isFinite(horizonMs)) forget(at - horizonMs);
    },
    /** What a reservation counts against its limits, as the stores count it. */
    counts(a: { healId: string; policy: string; targetKey: string }, limits: ActionLimits): LimitCounts {
      const last =
        limits.cooldownSince === undefined
          ? null
          : lastOf(a.targetKey, a.policy, ms(limits.cooldownSince), a.healId);
      return {
        global: countSince(all, ms(limits.global.since)),
        target: limits.target ? countSince(byTarget.get(a.targetKey)?.times, ms(limits.target.since)) : 0,
        cooldownLastAt: last === null ? null : new Date(last).toISOString(),
      };
    },
  };
}

export type VirtualLedger = ReturnType<typeof createVirtualLedger>;
