import type { AnyAction } from '../actions/types.js';
import { backoffDelay } from '../domain/backoff.js';
import { type Heal, stepNumber } from '../domain/heal.js';
import { apply, type HealIn, inStage } from '../domain/heal-apply.js';
import type { StepFailure, StepResult } from '../domain/heal-events.js';
import type { EventFrom } from '../domain/heal-machine.js';
import type { ActionRecordInput } from '../domain/ledger.js';
import { isSalveError } from '../errors.js';
import { actionContext, alertStartedAt } from './action-context.js';
import { commit, inMs, nowIso, reschedule } from './commit.js';
import type { EngineDeps } from './context.js';
import { liveGuardDeps } from './guard-reads.js';
import { actionLimits } from './guards.js';
import { commitReserving } from './reserve.js';
import { actionRecord, isDryRun, policyOf } from './step.js';
import { afterFailure } from './step-failure.js';

/** The share of each retry delay drawn at random: replicas retrying the same target spread out. */
const retryJitter = 0.5;

type Outcome = { ok: StepResult } | { failed: Extract<StepFailure, { in: 'action' }> };

export type ActionFacts = {
  at: string;
  dryRun: boolean;
  /** Attempts a retryable failure may take in all (the engine's retry policy). */
  attempts: number;
  /** The retry delay after this attempt's failure. */
  retryInMs: number;
  /** After the action: watch the rollout, or wait for the alerts (deadlines and next look). */
  verify: { rollout: boolean; deadlineAt: string; nextRunAt: string };
};

/** running, after the action ran: verify it, retry it, or give up on the step. Pure. */
export function decideAfterAction(heal: Heal, outcome: Outcome, f: ActionFacts): EventFrom<'action'> {
  const at = f.at;
  if ('ok' in outcome) {
    const { deadlineAt, nextRunAt } = f.verify;
    const type = f.verify.rollout ? 'step_rolling_out' : 'step_finished';
    return { type, at, result: outcome.ok, deadlineAt, nextRunAt };
  }
  const failure = outcome.failed;
  if (failure.retryable && heal.attempt + 1 < f.attempts) {
    return { type: 'step_retry', at, failure, retryAt: inIso(at, f.retryInMs), retryInMs: f.retryInMs };
  }
  return afterFailure(heal, failure, at, f.dryRun);
}

const inIso = (at: string, ms: number) => new Date(new Date(at).getTime() + ms).toISOString();

/** After the action: verify the rollout when the step asks for it, else wait for the alerts to resolve. */
function verifyPlan(heal: Heal, action: AnyAction, deps: EngineDeps): ActionFacts['verify'] {
  const step = heal.steps[heal.step]!;
  if (step.verify.rolloutMs && action.rolloutStatus) {
    return {
      rollout: true,
      deadlineAt: inMs(deps, step.verify.rolloutMs),
      nextRunAt: inMs(deps, deps.settings.rolloutPollMs),
    };
  }
  const resolvedMs = step.verify.resolvedMs ?? deps.settings.defaultResolvedMs;
  return { rollout: false, deadlineAt: inMs(deps, resolvedMs), nextRunAt: nowIso(deps) };
}

/** Runs the action once; its failure is an outcome, not an exception. */
async function runAction(heal: Heal, action: AnyAction, params: unknown, deps: EngineDeps): Promise<Outcome> {
  const name = action.kind;
  const ctx = actionContext(heal, deps, await alertStartedAt(heal, deps));
  const t0 = performance.now();
  const where = {
    heal: heal.id,
    policy: heal.policy,
    step: stepNumber(heal),
    action: name,
    target: heal.targetKey,
  };
  try {
    const result = await action.run(ctx, params);
    const durationMs = Math.round(performance.now() - t0);
    deps.metrics.actionDuration.observe({ action: name, outcome: result.status }, durationMs / 1000);
    deps.log.info({ ...where, outcome: result.status }, 'step finished');
    return { ok: { ...result, durationMs } };
  } catch (err) {
    const durationMs = Math.round(performance.now() - t0);
    deps.metrics.actionDuration.observe({ action: name, outcome: 'failed' }, durationMs / 1000);
    const code = isSalveError(err) ? err.code : 'SALVE_ACTION_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    deps.log.warn({ ...where, outcome: 'failed', code }, 'step failed');
    // Unknown errors are bugs, not weather: retrying them would only repeat them.
    const retryable = isSalveError(err) && err.retryable;
    return { failed: { in: 'action', code, message, retryable, durationMs } };
  }
}

/** The slot the guards reserved becomes the action; a later step takes its own slot here, atomically. */
async function start(heal: HealIn<'action'>, record: ActionRecordInput, params: unknown, deps: EngineDeps) {
  const limits = await actionLimits(heal, policyOf(heal, deps), liveGuardDeps(deps));
  const move = apply(heal, { type: 'step_started', at: nowIso(deps), record, limits, params });
  return commitReserving(heal, move, [], deps);
}

/** running: one step's action, at most once in effect (actions are idempotent), retried when retryable. */
export async function actionPhase(heal: HealIn<'action'>, deps: EngineDeps): Promise<Heal> {
  const step = heal.steps[heal.step]!;
  const action = deps.registry.get(step.action);
  const parsed = action?.params.safeParse(step.params);
  const at = nowIso(deps);
  if (!action || !parsed?.success) {
    const why = action
      ? `parameters no longer valid for ${step.action}`
      : `action ${step.action} is not registered`;
    return commit(apply(heal, { type: 'step_invalid', at, why }), deps);
  }
  const params = parsed.data;
  const dryRun = isDryRun(heal, policyOf(heal, deps), deps.settings);
  const record = actionRecord(heal, dryRun);
  const verify = verifyPlan(heal, action, deps);
  if (dryRun) {
    deps.metrics.actionDuration.observe({ action: step.action, outcome: 'dry_run' }, 0);
    const wouldDo = action.describe(heal.target, params);
    const resolvedMs = step.verify.resolvedMs ?? deps.settings.defaultResolvedMs;
    return commit(
      apply(heal, { type: 'step_dry_run', at, record, wouldDo, deadlineAt: inMs(deps, resolvedMs) }),
      deps,
    );
  }

  const lockUntil = new Date(
    Math.max(new Date(verify.deadlineAt).getTime(), deps.clock.now().getTime()) + deps.settings.leaseMs,
  ).toISOString();
  if (!(await deps.store.acquireTargetLock(heal.targetKey, heal.id, at, lockUntil))) {
    deps.log.debug({ heal: heal.id, target: heal.targetKey }, 'target busy with another heal; waiting');
    return reschedule(heal, inMs(deps, deps.settings.pollMs), deps);
  }
  const started = await start(heal, record, params, deps);
  // A limit filled up since the guards passed: the heal was refused instead.
  if (!inStage(started, 'action')) return started;
  const outcome = await runAction(started, action, params, deps);
  const { retry } = deps.settings;
  const event = decideAfterAction(started, outcome, {
    at: nowIso(deps),
    dryRun,
    attempts: retry.attempts,
    retryInMs: backoffDelay(heal.attempt, { ...retry, jitter: retryJitter }, deps.random),
    verify,
  });
  return commit(apply(started, event), deps);
}
