import { auditTypes } from '../domain/audit.js';
import type { Heal } from '../domain/heal.js';
import { isSalveError } from '../errors.js';
import type { EngineDeps } from './context.js';
import { nextStepOrEscalate } from './escalate.js';
import { closeHeal, healAudit, inMs, move, nowIso, stepNumber } from './moves.js';
import { notificationsFor } from './notify-events.js';
import { actionContext } from './phase-action.js';

const expired = (heal: Heal, deps: EngineDeps) => heal.deadlineAt !== null && heal.deadlineAt <= nowIso(deps);

/** verifying (rollout): kubectl's rollout-status rule, polled until done, failed or past the deadline. */
export async function rolloutPhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  const step = heal.steps[heal.step]!;
  const action = deps.registry.get(step.action);
  let state: { state: 'done' | 'waiting' | 'failed'; detail: string };
  try {
    state = action?.rolloutStatus
      ? await action.rolloutStatus(actionContext(heal, deps), action.params.parse(step.params))
      : { state: 'done', detail: 'no rollout to watch' };
  } catch (err) {
    if (isSalveError(err) && err.retryable && !expired(heal, deps)) {
      return move(heal, deps, { set: { nextRunAt: inMs(deps, deps.settings.rolloutPollMs) }, audit: [] });
    }
    state = {
      state: 'failed',
      detail: `${isSalveError(err) ? err.code : 'error'}: ${(err as Error).message}`,
    };
  }
  if (state.state === 'done') {
    const resolvedMs = step.verify.resolvedMs ?? deps.settings.defaultResolvedMs;
    return move(heal, deps, {
      set: { phase: 'resolve', deadlineAt: inMs(deps, resolvedMs), nextRunAt: nowIso(deps) },
      audit: [
        healAudit(heal, auditTypes.verifyRollout, 'done', { step: stepNumber(heal), detail: state.detail }),
      ],
    });
  }
  if (state.state === 'failed' || expired(heal, deps)) {
    const outcome = state.state === 'failed' ? 'failed' : 'timed_out';
    const failed = await move(heal, deps, {
      set: {},
      audit: [
        healAudit(heal, auditTypes.verifyRollout, outcome, {
          step: stepNumber(heal),
          detail: state.detail,
          deadline: heal.deadlineAt,
        }),
      ],
    });
    return nextStepOrEscalate(failed, deps, `rollout ${outcome}: ${state.detail}`);
  }
  return move(heal, deps, { set: { nextRunAt: inMs(deps, deps.settings.rolloutPollMs) }, audit: [] });
}

/** verifying (resolved): every attached alert must resolve before the deadline, else the next step. */
export async function resolvePhase(heal: Heal, deps: EngineDeps): Promise<Heal> {
  const alerts = await deps.store.healAlerts(heal.id);
  const firing = alerts.filter((a) => a.resolvedAt === null);
  if (alerts.length === 0) {
    const ttr = (deps.clock.now().getTime() - new Date(heal.openedAt).getTime()) / 1000;
    return closeHeal(
      heal,
      deps,
      'resolved',
      'action_succeeded',
      [
        healAudit(heal, auditTypes.healResolved, 'resolved', {
          how: 'manual heal: the step succeeded; no alert to wait for',
        }),
      ],
      await notificationsFor({ ...heal, state: 'resolved' }, deps, 'heal.resolved', {
        resolution: { timeToResolveSeconds: ttr },
      }),
    );
  }
  let source = 'alertmanager notifications';
  let stillFiring = firing.length;
  if (firing.length > 0 && deps.alertmanager) {
    try {
      const active = await deps.alertmanager.stillFiring(firing.map((a) => a.fingerprint));
      stillFiring = active.size;
      source = 'alertmanager api';
    } catch (err) {
      deps.log.warn({ heal: heal.id, err }, 'could not ask Alertmanager whether alerts still fire');
    }
  }
  if (stillFiring === 0) {
    const ttrSeconds = (deps.clock.now().getTime() - new Date(heal.openedAt).getTime()) / 1000;
    return closeHeal(
      heal,
      deps,
      'resolved',
      'alerts_resolved',
      [
        healAudit(heal, auditTypes.verifyResolved, 'resolved', { step: stepNumber(heal), source }),
        healAudit(heal, auditTypes.healResolved, 'resolved', {
          step: stepNumber(heal),
          action: heal.steps[heal.step]?.action,
          timeToResolveSeconds: ttrSeconds,
        }),
      ],
      await notificationsFor({ ...heal, state: 'resolved' }, deps, 'heal.resolved', {
        resolution: { timeToResolveSeconds: ttrSeconds },
      }),
      // Alertmanager no longer lists them: they are resolved, even before its resolved notification arrives.
      firing.map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt })),
    );
  }
  if (expired(heal, deps)) {
    const timedOut = await move(heal, deps, {
      set: {},
      audit: [
        healAudit(heal, auditTypes.verifyResolved, 'timed_out', {
          step: stepNumber(heal),
          stillFiring,
          deadline: heal.deadlineAt,
        }),
      ],
    });
    return nextStepOrEscalate(timedOut, deps, `${stillFiring} alert(s) still firing at the deadline`);
  }
  // Resolved notifications wake the heal (see ingest); polling is only for asking Alertmanager.
  const next = deps.alertmanager ? inMs(deps, deps.settings.resolvePollMs) : heal.deadlineAt;
  const nextRunAt = next && heal.deadlineAt && next > heal.deadlineAt ? heal.deadlineAt : next;
  return move(heal, deps, { set: { nextRunAt }, audit: [] });
}
