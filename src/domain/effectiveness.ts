// Heal effectiveness over a window: per policy and step, what acting did; per target, how often it was healed.
import type { GuardRefusalReason } from './guard.js';
import {
  type HealRecord,
  isDryRunRecord,
  refusalOf,
  type StepOutcome,
  stepOutcomes,
  timeToResolveSeconds,
  triedSteps,
} from './heal-record.js';

/** Median and 90th percentile, in seconds (nearest rank); null without a resolved heal. */
export type Percentiles = { count: number; median: number | null; p90: number | null };

export type StepStats = {
  /** Counted from 1, as everywhere people read steps. */
  step: number;
  action: string;
  /** Heals that tried the step (dry runs apart). */
  attempts: number;
  outcomes: Record<StepOutcome, number>;
  /** resolved / ended attempts; null before any attempt ended. */
  successRate: number | null;
  /** Heals stopped by a guard before this step acted, by reason. */
  refusals: Partial<Record<GuardRefusalReason, number>>;
  /** Dry-run heals that tried the step: what they would have come to, never counted as successes. */
  dryRun: { attempts: number; wouldResolve: number };
  timeToResolve: Percentiles;
};

export type PolicyStats = {
  policy: string;
  /** Heals opened in the window (dry runs apart), by state. */
  heals: number;
  states: Record<string, number>;
  dryRunHeals: number;
  approvals: { approved: number; rejected: number; expired: number; waiting: number };
  timeToResolve: Percentiles;
  steps: StepStats[];
};

export type TargetStats = {
  target: string;
  heals: number;
  resolved: number;
  escalated: number;
  policies: string[];
  lastOpenedAt: string;
};

export type EffectivenessStats = {
  since: string;
  until: string;
  heals: number;
  policies: PolicyStats[];
  /** The most-healed targets first: a target healed again and again is a finding, not a success. */
  targets: TargetStats[];
};

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, median: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
  return { count: sorted.length, median: rank(0.5), p90: rank(0.9) };
}

const zeroOutcomes = () => Object.fromEntries(stepOutcomes.map((o) => [o, 0])) as Record<StepOutcome, number>;

type StepAcc = Omit<StepStats, 'successRate' | 'timeToResolve'> & { ttr: number[] };
type PolicyAcc = Omit<PolicyStats, 'steps' | 'timeToResolve'> & {
  steps: Map<number, StepAcc>;
  ttr: number[];
};

function stepAcc(p: PolicyAcc, step: number, action: string): StepAcc {
  let s = p.steps.get(step);
  if (!s) {
    s = {
      step: step + 1,
      action,
      attempts: 0,
      outcomes: zeroOutcomes(),
      refusals: {},
      dryRun: { attempts: 0, wouldResolve: 0 },
      ttr: [],
    };
    p.steps.set(step, s);
  }
  return s;
}

function policyAcc(byPolicy: Map<string, PolicyAcc>, policy: string): PolicyAcc {
  let p = byPolicy.get(policy);
  if (!p) {
    p = {
      policy,
      heals: 0,
      states: {},
      dryRunHeals: 0,
      approvals: { approved: 0, rejected: 0, expired: 0, waiting: 0 },
      steps: new Map(),
      ttr: [],
    };
    byPolicy.set(policy, p);
  }
  return p;
}

function countApproval(p: PolicyAcc, r: HealRecord): void {
  if (r.approvedBy !== null) p.approvals.approved += 1;
  else if (r.reason === 'rejected') p.approvals.rejected += 1;
  else if (r.reason === 'approval_expired') p.approvals.expired += 1;
  else if (r.state === 'awaiting_approval') p.approvals.waiting += 1;
}

function addRecord(p: PolicyAcc, r: HealRecord): void {
  const dryRun = isDryRunRecord(r);
  const ttr = timeToResolveSeconds(r);
  if (dryRun) p.dryRunHeals += 1;
  else {
    p.heals += 1;
    p.states[r.state] = (p.states[r.state] ?? 0) + 1;
    countApproval(p, r);
    if (ttr !== null) p.ttr.push(ttr);
  }
  for (const t of triedSteps(r)) {
    const s = stepAcc(p, t.step, t.action);
    if (dryRun) {
      s.dryRun.attempts += 1;
      if (t.outcome === 'resolved') s.dryRun.wouldResolve += 1;
      continue;
    }
    s.attempts += 1;
    s.outcomes[t.outcome] += 1;
    if (t.outcome === 'resolved' && ttr !== null) s.ttr.push(ttr);
  }
  const refusal = refusalOf(r);
  if (refusal && !dryRun) {
    const s = stepAcc(p, refusal.step, r.steps[refusal.step] ?? 'none');
    s.refusals[refusal.reason] = (s.refusals[refusal.reason] ?? 0) + 1;
  }
}

function finishStep(s: StepAcc): StepStats {
  const { ttr, ...rest } = s;
  const ended = s.attempts - s.outcomes.open;
  return {
    ...rest,
    successRate: ended === 0 ? null : s.outcomes.resolved / ended,
    timeToResolve: percentiles(ttr),
  };
}

function targetStats(records: HealRecord[], limit: number): TargetStats[] {
  const byTarget = new Map<string, TargetStats & { policySet: Set<string> }>();
  for (const r of records) {
    if (isDryRunRecord(r)) continue;
    let t = byTarget.get(r.targetKey);
    if (!t) {
      t = {
        target: r.targetKey,
        heals: 0,
        resolved: 0,
        escalated: 0,
        policies: [],
        lastOpenedAt: r.openedAt,
        policySet: new Set(),
      };
      byTarget.set(r.targetKey, t);
    }
    t.heals += 1;
    if (r.state === 'resolved') t.resolved += 1;
    if (r.state === 'escalated') t.escalated += 1;
    t.policySet.add(r.policy);
    if (r.openedAt > t.lastOpenedAt) t.lastOpenedAt = r.openedAt;
  }
  return [...byTarget.values()]
    .sort((a, b) => b.heals - a.heals || (a.target < b.target ? -1 : 1))
    .slice(0, limit)
    .map(({ policySet, ...t }) => ({ ...t, policies: [...policySet].sort() }));
}

/** Statistics of the heals opened in [since, until]; `topTargets` most-healed targets. */
export function computeEffectiveness(
  records: readonly HealRecord[],
  window: { since: string; until: string },
  topTargets = 10,
): EffectivenessStats {
  const inWindow = records.filter((r) => r.openedAt >= window.since && r.openedAt <= window.until);
  const byPolicy = new Map<string, PolicyAcc>();
  for (const r of inWindow) addRecord(policyAcc(byPolicy, r.policy), r);
  const policies = [...byPolicy.values()]
    .sort((a, b) => (a.policy < b.policy ? -1 : 1))
    .map(({ steps, ttr, ...p }) => ({
      ...p,
      timeToResolve: percentiles(ttr),
      steps: [...steps.values()].sort((a, b) => a.step - b.step).map(finishStep),
    }));
  return {
    ...window,
    heals: inWindow.filter((r) => !isDryRunRecord(r)).length,
    policies,
    targets: targetStats(inWindow, topTargets),
  };
}
