import type { GuardDecision } from '../domain/guard.js';
import type { Heal } from '../domain/heal.js';
import { apply, type HealIn } from '../domain/heal-apply.js';
import type { EventFrom } from '../domain/heal-machine.js';
import type { SlotReservation } from '../domain/ledger.js';
import type { Policy } from '../policy/types.js';
import { commit, inMs, nowIso, reschedule } from './commit.js';
import type { EngineDeps } from './context.js';
import { type GuardDeps, liveGuardDeps } from './guard-reads.js';
import { actionLimits, runGuards } from './guards.js';
import { commitReserving, refusalEvent } from './reserve.js';
import { actionRecord, allAlertsResolved, isDryRun, policyOf } from './step.js';

type Pass = Extract<GuardDecision, { verdict: 'pass' }>;

/** What the engine waits for instead of moving: look again at this time (null: when poked). */
export type Wait = { wait: string | null };
export type Decision<S extends 'guards' | 'approval' | 'action' | 'rollout' | 'resolve'> =
  | { event: EventFrom<S> }
  | Wait;

export type GuardFacts = {
  at: string;
  alertsResolved: boolean;
  /** Every decision up to and including the first that did not pass. */
  decisions: GuardDecision[];
  dryRun: boolean;
  /** When a held heal looks again. */
  retryAt: string;
  /** When an approval requested now expires. */
  expiresAt: string;
  wouldDo: string[];
  /** The action's slot, when the guards passed and the step is not a dry run. */
  reserve?: SlotReservation;
};

/** pending: the guards in order -> held | refused | escalated | awaiting approval | running. Pure. */
export function decideGuards(heal: Heal, f: GuardFacts): Decision<'guards'> {
  const at = f.at;
  if (f.alertsResolved) return { event: { type: 'alerts_resolved', at } };
  const last = f.decisions.at(-1)!;
  const passed = f.decisions.slice(0, -1) as Pass[];
  switch (last.verdict) {
    case 'hold':
      // Audited once, not at every poll.
      return heal.reason === 'paused'
        ? { wait: f.retryAt }
        : { event: { type: 'guard_held', at, passed, hold: last, retryAt: f.retryAt } };
    case 'refuse':
      return { event: refusalEvent(last, passed, at, f.dryRun) };
    case 'await_approval':
      return {
        event: {
          type: 'approval_required',
          at,
          passed,
          request: last,
          expiresAt: f.expiresAt,
          wouldDo: f.wouldDo,
        },
      };
    case 'pass':
      return {
        event: {
          type: 'guards_passed',
          at,
          passed: f.decisions as Pass[],
          ...(f.reserve ? { reserve: f.reserve } : {}),
        },
      };
  }
}

/** What the guard stage found before deciding; the time and the waits come from the caller's clock. */
export type GuardStageFacts = Pick<
  GuardFacts,
  'at' | 'alertsResolved' | 'dryRun' | 'retryAt' | 'expiresAt' | 'wouldDo'
>;

/**
 * The guard stage: the guards in order through `guardDeps`' reads, the slot a passing move reserves, and the
 * decision. The live engine reads the store; the policy backtest (src/service/replay) a virtual ledger.
 */
export async function guardStage(
  heal: Heal,
  policy: Policy | undefined,
  guardDeps: GuardDeps,
  f: GuardStageFacts,
): Promise<Decision<'guards'>> {
  const approved = heal.approvedBy !== null;
  // An operator's approval answers whichever guard asked for it (the policy's own demand, or autonomy).
  const decisions = f.alertsResolved
    ? []
    : (await runGuards(heal, policy, guardDeps)).map(
        (d): GuardDecision =>
          d.verdict === 'await_approval' && approved
            ? { guard: d.guard, verdict: 'pass', detail: `approved by ${heal.approvedBy}: ${d.detail}` }
            : d,
      );
  // The action's slot in the counted limits is taken with the move that passes: what the guards read is
  // re-checked, atomically, against every heal that passed at the same moment on any replica.
  const passing = decisions.at(-1)?.verdict === 'pass';
  const reserve =
    passing && !f.dryRun
      ? { action: actionRecord(heal, f.dryRun), limits: await actionLimits(heal, policy, guardDeps) }
      : undefined;
  return decideGuards(heal, { ...f, decisions, ...(reserve ? { reserve } : {}) });
}

export async function guardsPhase(heal: HealIn<'guards'>, deps: EngineDeps): Promise<Heal> {
  const policy = policyOf(heal, deps);
  const decision = await guardStage(heal, policy, liveGuardDeps(deps), {
    at: nowIso(deps),
    alertsResolved: await allAlertsResolved(heal, deps),
    dryRun: isDryRun(heal, policy, deps.settings),
    retryAt: inMs(deps, deps.settings.pollMs),
    expiresAt: inMs(deps, deps.settings.approvalTimeoutMs),
    wouldDo: heal.steps.map((s) => deps.registry.get(s.action)?.describe(heal.target, s.params) ?? s.action),
  });
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  const move = apply(heal, decision.event);
  return decision.event.type === 'guards_passed'
    ? commitReserving(heal, move, decision.event.passed, deps)
    : commit(move, deps);
}

/** awaiting_approval: cancelled when the alerts resolve or the approval expires; decisions come from operators. */
export function decideApprovalWait(
  heal: Heal,
  f: { at: string; alertsResolved: boolean },
): Decision<'approval'> {
  if (f.alertsResolved) return { event: { type: 'alerts_resolved', at: f.at } };
  if (heal.deadlineAt && heal.deadlineAt <= f.at) return { event: { type: 'approval_expired', at: f.at } };
  return { wait: heal.deadlineAt };
}

export async function approvalPhase(heal: HealIn<'approval'>, deps: EngineDeps): Promise<Heal> {
  const decision = decideApprovalWait(heal, {
    at: nowIso(deps),
    alertsResolved: await allAlertsResolved(heal, deps),
  });
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  return commit(apply(heal, decision.event), deps);
}
