import type { ActionContext, AnyAction } from '../actions/types.js';
import { backoffDelay } from '../domain/backoff.js';
import { isSalveError } from '../errors.js';
import { auditTypes } from '../store/audit-types.js';
import type { Heal } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { nextStepOrEscalate } from './escalate.js';
import { actionLimits } from './guards.js';
import { actionRecord, closeHeal, healAudit, inMs, isDryRun, move, nowIso, stepNumber } from './moves.js';
import { notificationsFor } from './notify-events.js';
import { withSlot } from './refuse.js';

/** The share of each retry delay drawn at random: replicas retrying the same target spread out. */
const retryJitter = 0.5;

/** After the action: verify the rollout when the step asks for it, else wait for the alerts to resolve. */
function verifyPlan(heal: Heal, action: AnyAction, deps: EngineDeps) {
  const step = heal.steps[heal.step]!;
  if (step.verify.rolloutMs && action.rolloutStatus) {
    return {
      phase: 'rollout' as const,
      deadlineAt: inMs(deps, step.verify.rolloutMs),
      nextRunAt: inMs(deps, deps.settings.rolloutPollMs),
    };
  }
  return {
    phase: 'resolve' as const,
    deadlineAt: inMs(deps, step.verify.resolvedMs ?? deps.settings.defaultResolvedMs),
    nextRunAt: nowIso(deps),
  };
}

/** When the heal's incident began: the earliest startsAt of its alerts (none for a manual heal). */
export async function alertStartedAt(heal: Heal, deps: EngineDeps): Promise<string | undefined> {
  const starts = (await deps.store.healAlerts(heal.id)).map((a) => a.startsAt).sort();
  return starts[0];
}

export function actionContext(heal: Heal, deps: EngineDeps, startedAt?: string): ActionContext {
  return {
    heal: {
      id: heal.id,
      policy: heal.policy,
      step: stepNumber(heal),
      attempt: heal.attempt,
      ...(startedAt === undefined ? {} : { alertStartedAt: startedAt }),
    },
    target: heal.target,
    kube: deps.kube,
    secrets: deps.secrets,
    tokens: deps.tokens,
    clock: deps.clock,
    log: deps.log.child({ heal: heal.id, policy: heal.policy, target: heal.targetKey }),
  };
}

/** running: one step's action, at most once in effect (actions are idempotent), retried when retryable. */
export async function actionPhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  const step = heal.steps[heal.step]!;
  const action = deps.registry.get(step.action);
  const parsed = action?.params.safeParse(step.params);
  if (!action || !parsed?.success) {
    const why = action
      ? `parameters no longer valid for ${step.action}`
      : `action ${step.action} is not registered`;
    return closeHeal(heal, deps, 'failed', 'invalid_step', [
      healAudit(heal, auditTypes.healFailed, 'invalid_step', { step: stepNumber(heal), why }),
    ]);
  }
  const params = parsed.data;
  const policy = deps.policies.current().byName.get(heal.policy);
  const dryRun = isDryRun(heal, policy, deps);
  const record = actionRecord(heal, dryRun);
  const plan = verifyPlan(heal, action, deps);

  if (dryRun) {
    const wouldDo = action.describe(heal.target, params);
    deps.metrics.actionDuration.observe({ action: step.action, outcome: 'dry_run' }, 0);
    return move(heal, deps, {
      set: {
        state: 'verifying',
        phase: 'resolve',
        deadlineAt: inMs(deps, step.verify.resolvedMs ?? deps.settings.defaultResolvedMs),
        nextRunAt: nowIso(deps),
      },
      startAction: record,
      finishAction: { step: heal.step, status: 'dry_run', detail: `would have: ${wouldDo}` },
      notify: await notificationsFor(heal, deps, 'step.result', {
        step: {
          number: stepNumber(heal),
          action: step.action,
          status: 'dry_run',
          detail: `would have: ${wouldDo}`,
        },
      }),
      audit: [
        healAudit(heal, auditTypes.actionDryRun, 'dry_run', {
          step: stepNumber(heal),
          action: step.action,
          wouldHave: wouldDo,
          dryRun: true,
        }),
      ],
    });
  }

  const lockUntil = new Date(
    Math.max(new Date(plan.deadlineAt).getTime(), deps.clock.now().getTime()) + deps.settings.leaseMs,
  ).toISOString();
  if (!(await deps.store.acquireTargetLock(heal.targetKey, heal.id, nowIso(deps), lockUntil))) {
    deps.log.debug({ heal: heal.id, target: heal.targetKey }, 'target busy with another heal; waiting');
    return move(heal, deps, { set: { nextRunAt: inMs(deps, deps.settings.pollMs) }, audit: [] });
  }
  // Recorded before the request: a crash after it re-runs the (idempotent) action rather than forgetting it.
  // The slot the guards reserved becomes the action; a later step takes its own slot here, atomically.
  const limits = await actionLimits(heal, policy, deps);
  const started = await withSlot(heal, policy, deps, [], () =>
    move(heal, deps, {
      set: { state: 'running' },
      reserveSlot: { action: record, limits },
      startAction: record,
      audit: [
        healAudit(heal, auditTypes.actionStarted, 'started', {
          step: stepNumber(heal),
          action: step.action,
          attempt: heal.attempt,
          params,
        }),
      ],
    }),
  );
  if (started.phase === 'done') return started;
  const ctx = actionContext(started, deps, await alertStartedAt(heal, deps));
  const t0 = performance.now();
  try {
    const result = await action.run(ctx, params);
    const durationMs = Math.round(performance.now() - t0);
    deps.metrics.actionDuration.observe({ action: step.action, outcome: result.status }, durationMs / 1000);
    deps.log.info(
      {
        heal: heal.id,
        policy: heal.policy,
        step: stepNumber(heal),
        action: step.action,
        target: heal.targetKey,
        outcome: result.status,
      },
      'step finished',
    );
    return move(started, deps, {
      set: { state: 'verifying', ...plan },
      finishAction: { step: heal.step, status: result.status, detail: result.detail },
      notify: await notificationsFor(started, deps, 'step.result', {
        step: { number: stepNumber(heal), action: step.action, status: result.status, detail: result.detail },
      }),
      audit: [
        healAudit(heal, auditTypes.actionFinished, result.status, {
          step: stepNumber(heal),
          action: step.action,
          attempt: heal.attempt,
          detail: result.detail,
          ...(result.data ? { result: result.data } : {}),
          durationMs,
        }),
      ],
    });
  } catch (err) {
    const durationMs = Math.round(performance.now() - t0);
    deps.metrics.actionDuration.observe({ action: step.action, outcome: 'failed' }, durationMs / 1000);
    const code = isSalveError(err) ? err.code : 'SALVE_ACTION_FAILED';
    const message = err instanceof Error ? err.message : String(err);
    // Unknown errors are bugs, not weather: retrying them would only repeat them.
    const retryable = isSalveError(err) && err.retryable;
    const failure = {
      step: stepNumber(heal),
      action: step.action,
      attempt: heal.attempt,
      code,
      message,
      retryable,
      durationMs,
    };
    deps.log.warn(
      {
        heal: heal.id,
        policy: heal.policy,
        step: stepNumber(heal),
        action: step.action,
        target: heal.targetKey,
        outcome: 'failed',
        code,
      },
      'step failed',
    );
    if (retryable && heal.attempt + 1 < deps.settings.retry.attempts) {
      const delay = backoffDelay(heal.attempt, { ...deps.settings.retry, jitter: retryJitter }, deps.random);
      await deps.store.releaseTargetLock(heal.targetKey, heal.id);
      return move(started, deps, {
        set: { attempt: heal.attempt + 1, nextRunAt: inMs(deps, delay) },
        audit: [healAudit(heal, auditTypes.actionRetry, 'retry', { ...failure, retryInMs: delay })],
      });
    }
    const failed = await move(started, deps, {
      set: {},
      finishAction: { step: heal.step, status: 'failed', detail: `${code}: ${message}` },
      notify: await notificationsFor(started, deps, 'step.result', {
        step: {
          number: stepNumber(heal),
          action: step.action,
          status: 'failed',
          detail: `${code}: ${message}`,
        },
      }),
      audit: [healAudit(heal, auditTypes.actionFailed, code, failure)],
    });
    return nextStepOrEscalate(failed, deps, `action ${step.action} failed: ${code}`);
  }
}
