// A heal as history: what statistics, the autonomy guard and the policy backtest read back from the store.
import { type GuardRefusalReason, guardRefusalReasons } from './guard.js';
import { type HealState, openHealStates } from './heal.js';
import type { Transition } from './heal-transition.js';

/** One step's row of the action ledger, as the heal left it. */
export type StepAction = {
  /** The step's index. */
  step: number;
  action: string;
  /** reserved (a slot, not yet acted), started, changed, unchanged, failed, dry_run. */
  status: string;
  startedAt: string;
  dryRun: boolean;
};

export type HealRecord = {
  id: string;
  policy: string;
  targetKey: string;
  state: HealState;
  reason: string | null;
  /** Index of the step the heal is at, or ended at. */
  step: number;
  /** The action of each step, in order. */
  steps: string[];
  dryRun: boolean;
  approvedBy: string | null;
  openedAt: string;
  closedAt: string | null;
  /** Its rows in the action ledger, one per step that took a slot or acted. */
  actions: StepAction[];
};

/**
 * What became of one step of one heal. `resolved`: the heal closed resolved after it. `failed`: its action
 * failed (after its retries), or it could not run as written. `next_step`: it acted, the alerts kept firing and
 * the heal went on. `escalated`: it acted, the alerts kept firing and a human was paged. `open`: not known yet.
 */
export const stepOutcomes = ['resolved', 'failed', 'next_step', 'escalated', 'open'] as const;
export type StepOutcome = (typeof stepOutcomes)[number];

const open: ReadonlySet<string> = new Set(openHealStates);
export const isOpenRecord = (r: Pick<HealRecord, 'state'>) => open.has(r.state);

/** A dry run never healed anything: its steps are counted apart, never as successes. */
export const isDryRunRecord = (r: HealRecord) => r.dryRun || r.state === 'dry_run';

/** Steps that acted (or took their turn and could not): every step with a ledger row beyond a bare slot. */
function stepsTried(r: HealRecord): number[] {
  const tried = r.actions.filter((a) => a.status !== 'reserved').map((a) => a.step);
  // A step that could not run as written failed the heal without a ledger row.
  if (r.state === 'failed' && r.reason === 'invalid_step' && !tried.includes(r.step)) tried.push(r.step);
  return [...new Set(tried)].sort((a, b) => a - b);
}

export type TriedStep = { step: number; action: string; outcome: StepOutcome; dryRun: boolean };

/** Every step the heal tried, with what became of it. */
export function triedSteps(r: HealRecord): TriedStep[] {
  const dryRun = isDryRunRecord(r);
  return stepsTried(r).map((step) => {
    const row = r.actions.find((a) => a.step === step);
    const action = row?.action ?? r.steps[step] ?? 'none';
    return { step, action, outcome: outcomeOf(r, step, row), dryRun: dryRun || row?.dryRun === true };
  });
}

function outcomeOf(r: HealRecord, step: number, row: StepAction | undefined): StepOutcome {
  const actionFailed = row?.status === 'failed';
  if (step < r.step) return actionFailed ? 'failed' : 'next_step';
  if (r.state === 'failed') return 'failed';
  if (actionFailed && !isOpenRecord(r)) return 'failed';
  if (r.state === 'resolved') return 'resolved';
  if (r.state === 'escalated') return 'escalated';
  // A dry run ends `dry_run`; what it would have come to is its reason.
  if (r.state === 'dry_run') return r.reason?.startsWith('would have resolved') ? 'resolved' : 'escalated';
  return 'open';
}

const refusalReasons: ReadonlySet<string> = new Set(guardRefusalReasons);

/** The guard refusal that ended the heal, and at which step (a later step's slot can be refused too). */
export function refusalOf(r: HealRecord): { step: number; reason: GuardRefusalReason } | null {
  if (r.state !== 'refused' && r.state !== 'escalated' && r.state !== 'dry_run') return null;
  // A dry run's reason says what it would have come to: `would have escalated: loop_breaker`.
  const reason = r.reason?.replace(/^would have \w+: /, '') ?? '';
  if (!refusalReasons.has(reason)) return null;
  // The refused step has no action of its own: the guards, or its slot, stopped it.
  if (r.actions.some((a) => a.step === r.step && a.status !== 'reserved')) return null;
  return { step: r.step, reason: reason as GuardRefusalReason };
}

/** Seconds from opening to closing resolved; null for any other heal. */
export function timeToResolveSeconds(r: HealRecord): number | null {
  if (r.state !== 'resolved' || r.closedAt === null) return null;
  return (new Date(r.closedAt).getTime() - new Date(r.openedAt).getTime()) / 1000;
}

/**
 * The step outcome a committed move settles, for `salve_heal_step_outcomes_total`: the same words the
 * statistics read back from the store (`triedSteps`), told at the moment they become true.
 */
export function moveStepOutcome(t: Transition): { step: number; outcome: StepOutcome } | null {
  const actionFailed = t.finishAction?.status === 'failed';
  switch (t.event) {
    case 'next_step':
      return { step: t.heal.step - 1, outcome: actionFailed ? 'failed' : 'next_step' };
    case 'steps_exhausted':
      return { step: t.heal.step, outcome: actionFailed ? 'failed' : 'escalated' };
    case 'step_invalid':
      return { step: t.heal.step, outcome: 'failed' };
    case 'nothing_to_verify':
      return { step: t.heal.step, outcome: 'resolved' };
    case 'alerts_resolved':
      return t.from === 'resolve' ? { step: t.heal.step, outcome: 'resolved' } : null;
    default:
      return null;
  }
}
