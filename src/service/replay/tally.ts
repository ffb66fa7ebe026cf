import type { GuardDecision, GuardRefusal } from '../../domain/guard.js';
import { type Heal, stepNumber } from '../../domain/heal.js';
import type { HealRecord } from '../../domain/heal-record.js';
import type { ChainSubject } from '../../kube/owner-chain.js';

/** One heal the replayed table would open, and what became of it by the end of the window. */
export type ReplayHeal = {
  policy: string;
  target: string;
  openedAt: string;
  /** Its state at the end of the window (an open state when it was still going). */
  state: string;
  reason: string | null;
  /** Each action it took, steps counted from 1; dry runs changed nothing. */
  actions: Array<{ step: number; action: string; dryRun: boolean }>;
};

export type ReplayTotals = {
  /** Heals the table would open. */
  healsOpened: number;
  /** Actions taken (dry runs apart). */
  actions: number;
  dryRunActions: number;
  /** Heals stopped by a guard, by guard, and by reason. */
  refusals: Record<string, number>;
  refusalReasons: Record<string, number>;
  /** Heals that would wait for a human, by the guard that asks (approval, autonomy). */
  approvals: Record<string, number>;
  /** Waits that would page (the policy's `pageAfter` passed with nobody deciding). */
  pages: number;
  /** Heals by their state at the end of the window. */
  states: Record<string, number>;
  /** Actions per policy and step. */
  steps: Array<{ policy: string; step: number; action: string; actions: number; dryRun: number }>;
  /** Targets the heal-loop breaker would stop, with how many heals it stopped there. */
  loopBreaker: Array<{ target: string; refusals: number }>;
  /** Matching alerts a policy could not act on (missing label, name, outside allow), by reason. */
  matchRefusals: Record<string, number>;
  /**
   * Matching alerts of `ownerOf` policies whose owner chain was never recorded: without a cluster a backtest
   * cannot tell what they would act on. Neither heals nor refusals; by policy, with the first objects named.
   */
  unresolved: { alerts: number; policies: Record<string, number>; examples: string[] };
  /** Heals and actions per policy: what the difference from the recorded history compares. */
  policies: Record<string, { heals: number; actions: number }>;
};

const bump = (m: Record<string, number>, k: string, by = 1) => {
  m[k] = (m[k] ?? 0) + by;
};

/** Counts what a simulation does as it goes; keeps the first `keepHeals` heals whole. */
export function createTally(keepHeals: number) {
  const open = new Map<string, ReplayHeal>();
  const heals: ReplayHeal[] = [];
  const steps = new Map<string, ReplayTotals['steps'][number]>();
  const breaker = new Map<string, number>();
  const totals = {
    healsOpened: 0,
    actions: 0,
    dryRunActions: 0,
    refusals: {},
    refusalReasons: {},
    approvals: {},
    pages: 0,
    states: {},
    matchRefusals: {},
    unresolved: { alerts: 0, policies: {}, examples: [] },
    policies: {},
  } as Omit<ReplayTotals, 'steps' | 'loopBreaker'>;

  function finish(heal: Heal): void {
    const h = open.get(heal.id);
    if (!h) return;
    open.delete(heal.id);
    h.state = heal.state;
    h.reason = heal.reason;
    bump(totals.states, heal.state);
    if (heals.length < keepHeals) heals.push(h);
  }

  return {
    opened(heal: Heal): void {
      totals.healsOpened += 1;
      const p = totals.policies[heal.policy] ?? { heals: 0, actions: 0 };
      totals.policies[heal.policy] = p;
      p.heals += 1;
      const h = {
        policy: heal.policy,
        target: heal.targetKey,
        openedAt: heal.openedAt,
        state: '',
        reason: null,
      };
      open.set(heal.id, { ...h, actions: [] });
    },
    acted(heal: Heal, dryRun: boolean): void {
      const action = heal.steps[heal.step]?.action ?? 'none';
      open.get(heal.id)?.actions.push({ step: stepNumber(heal), action, dryRun });
      const key = `${heal.policy}\u0000${heal.step}`;
      const s = steps.get(key) ?? {
        policy: heal.policy,
        step: stepNumber(heal),
        action,
        actions: 0,
        dryRun: 0,
      };
      steps.set(key, s);
      if (dryRun) {
        totals.dryRunActions += 1;
        s.dryRun += 1;
        return;
      }
      totals.actions += 1;
      s.actions += 1;
      totals.policies[heal.policy]!.actions += 1;
    },
    refused(heal: Heal, refusal: GuardRefusal): void {
      bump(totals.refusals, refusal.guard);
      bump(totals.refusalReasons, refusal.reason);
      if (refusal.reason === 'loop_breaker')
        breaker.set(heal.targetKey, (breaker.get(heal.targetKey) ?? 0) + 1);
    },
    awaitsApproval(_heal: Heal, request: Extract<GuardDecision, { verdict: 'await_approval' }>): void {
      bump(totals.approvals, request.guard);
    },
    paged(_heal: Heal): void {
      totals.pages += 1;
    },
    matchRefused(reason: string): void {
      bump(totals.matchRefusals, reason);
    },
    unresolved(policy: string, subject: ChainSubject): void {
      const u = totals.unresolved;
      u.alerts += 1;
      bump(u.policies, policy);
      const named = `${subject.kind} ${subject.namespace}/${subject.name}`;
      if (u.examples.length < 10 && !u.examples.includes(named)) u.examples.push(named);
    },
    closed: finish,
    stillOpen: finish,
    result(): { heals: ReplayHeal[]; totals: ReplayTotals } {
      const order = (a: { policy: string; step: number }, b: { policy: string; step: number }) =>
        a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : a.step - b.step;
      // In the order they opened, as the recorded history lists them.
      heals.sort((a, b) =>
        a.openedAt !== b.openedAt
          ? a.openedAt < b.openedAt
            ? -1
            : 1
          : a.policy < b.policy
            ? -1
            : a.policy > b.policy
              ? 1
              : a.target < b.target
                ? -1
                : 1,
      );
      return {
        heals,
        totals: {
          ...totals,
          steps: [...steps.values()].sort(order),
          loopBreaker: [...breaker]
            .map(([target, refusals]) => ({ target, refusals }))
            .sort((a, b) => b.refusals - a.refusals),
        },
      };
    },
  };
}

export type ReplayTally = ReturnType<typeof createTally>;

/** What the recorded history did, in the replay's terms: the heals opened in the window and their actions. */
export function recordedHeals(
  records: readonly HealRecord[],
  window: { since: string; until: string },
): ReplayHeal[] {
  return records
    .filter((r) => r.openedAt >= window.since && r.openedAt <= window.until)
    .map((r) => ({
      policy: r.policy,
      target: r.targetKey,
      openedAt: r.openedAt,
      state: r.state,
      reason: r.reason,
      actions: r.actions
        .filter((a) => a.status !== 'reserved')
        .map((a) => ({ step: a.step + 1, action: a.action, dryRun: a.dryRun || r.dryRun })),
    }));
}
