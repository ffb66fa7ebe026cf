import { auditTypes } from '../domain/audit.js';
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
import { type GuardTiming, recordGuards } from './trace.js';

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
  /** When an approval requested now would page, by the policy's `pageAfter`; null: it does not page. */
  pageAt: string | null;
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
          // A page due no earlier than the expiry would never be sent.
          pageAt: f.pageAt !== null && f.pageAt < f.expiresAt ? f.pageAt : null,
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
  'at' | 'alertsResolved' | 'dryRun' | 'retryAt' | 'expiresAt' | 'pageAt' | 'wouldDo'
>;

/**
 * The guard stage: the guards in order through `guardDeps`' reads, the slot a passing move reserves, and the
 * decision. The live engine reads the store; the policy backtest (src/service/replay) a virtual ledger.
 * With `timed`, each guard's start, end and decision (as the stage counts it: an approved wait passes) are
 * kept for its span.
 */
export async function guardStage(
  heal: Heal,
  policy: Policy | undefined,
  guardDeps: GuardDeps,
  f: GuardStageFacts,
  timed?: GuardTiming[],
): Promise<Decision<'guards'>> {
  const approved = heal.approvedBy !== null;
  // An operator's approval answers whichever guard asked for it (the policy's own demand, or autonomy).
  const decisions = f.alertsResolved
    ? []
    : (await runGuards(heal, policy, guardDeps, timed)).map(
        (d): GuardDecision =>
          d.verdict === 'await_approval' && approved
            ? { guard: d.guard, verdict: 'pass', detail: `approved by ${heal.approvedBy}: ${d.detail}` }
            : d,
      );
  timed?.forEach((t, i) => {
    t.decision = decisions[i] ?? t.decision;
  });
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
  const timed: GuardTiming[] | undefined = deps.tracer.enabled ? [] : undefined;
  const decision = await guardStage(
    heal,
    policy,
    liveGuardDeps(deps),
    {
      at: nowIso(deps),
      alertsResolved: await allAlertsResolved(heal, deps),
      dryRun: isDryRun(heal, policy, deps.settings),
      retryAt: inMs(deps, deps.settings.pollMs),
      expiresAt: inMs(deps, deps.settings.approvalTimeoutMs),
      pageAt: policy?.guards.pageAfterMs ? inMs(deps, policy.guards.pageAfterMs) : null,
      wouldDo: wouldDo(heal, deps),
    },
    timed,
  );
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  // What a held heal looking again decided is not recorded: its stage's span is dropped (trace.ts).
  if (timed) recordGuards(deps.tracer, timed);
  const move = apply(heal, decision.event);
  return decision.event.type === 'guards_passed'
    ? commitReserving(heal, move, decision.event.passed, deps)
    : commit(move, deps);
}

/** What each step would do, in words, for the people deciding (the actions' describe()). */
function wouldDo(heal: Heal, deps: EngineDeps): string[] {
  return heal.steps.map((s) => deps.registry.get(s.action)?.describe(heal.target, s.params) ?? s.action);
}

export type ApprovalFacts = {
  at: string;
  alertsResolved: boolean;
  /** When the heal began to wait (its approval.requested record). */
  waitingSince: string;
  wouldDo: string[];
};

/**
 * awaiting_approval: cancelled when the alerts resolve or the approval expires, paged about once when it waits
 * past its policy's `pageAfter`; decisions come from operators. Woken early (one alert of several resolved),
 * it waits again for whichever timer comes first. Pure.
 */
export function decideApprovalWait(heal: Heal, f: ApprovalFacts): Decision<'approval'> {
  const at = f.at;
  if (f.alertsResolved) return { event: { type: 'alerts_resolved', at } };
  if (heal.deadlineAt && heal.deadlineAt <= at) return { event: { type: 'approval_expired', at } };
  if (heal.pageAt && heal.pageAt <= at) {
    return { event: { type: 'approval_overdue', at, waitingSince: f.waitingSince, wouldDo: f.wouldDo } };
  }
  return { wait: heal.pageAt ?? heal.deadlineAt };
}

/** When the heal began to wait for a decision: its latest approval.requested record. */
async function waitingSince(heal: Heal, deps: EngineDeps): Promise<string> {
  const [requested] = await deps.store.queryAudit({
    healId: heal.id,
    type: auditTypes.approvalRequested,
    newestFirst: true,
    limit: 1,
  });
  return requested?.at ?? heal.updatedAt;
}

export async function approvalPhase(heal: HealIn<'approval'>, deps: EngineDeps): Promise<Heal> {
  // The heal is looked at here only when a timer is due or an alert of it resolved: a rare read.
  const decision = decideApprovalWait(heal, {
    at: nowIso(deps),
    alertsResolved: await allAlertsResolved(heal, deps),
    waitingSince: await waitingSince(heal, deps),
    wouldDo: wouldDo(heal, deps),
  });
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  return commit(apply(heal, decision.event), deps);
}
