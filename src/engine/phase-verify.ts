import type { RolloutState } from '../actions/types.js';
import type { Heal, HealAlert } from '../domain/heal.js';
import { apply, type HealIn } from '../domain/heal-apply.js';
import { isSalveError } from '../errors.js';
import { actionContext } from './action-context.js';
import { commit, inMs, nowIso, reschedule } from './commit.js';
import type { EngineDeps } from './context.js';
import type { Decision } from './phase-guards.js';
import { isDryRun, policyOf } from './step.js';
import { afterFailure } from './step-failure.js';

const expired = (heal: Heal, at: string) => heal.deadlineAt !== null && heal.deadlineAt <= at;

/** What the rollout check found; `error` is a failed check (not a failed rollout), retried while it is weather. */
export type RolloutCheck = RolloutState | { state: 'error'; detail: string; retryable: boolean };

export type RolloutFacts = { at: string; dryRun: boolean; pollAt: string; resolveDeadlineAt: string };

/** verifying (rollout): done -> wait for the alerts; failed or past the deadline -> next step. Pure. */
export function decideRollout(heal: Heal, check: RolloutCheck, f: RolloutFacts): Decision<'rollout'> {
  const at = f.at;
  if (check.state === 'error' && check.retryable && !expired(heal, at)) return { wait: f.pollAt };
  if (check.state === 'done') {
    return { event: { type: 'rollout_done', at, detail: check.detail, deadlineAt: f.resolveDeadlineAt } };
  }
  if (check.state === 'waiting' && !expired(heal, at)) return { wait: f.pollAt };
  const outcome = check.state === 'waiting' ? 'timed_out' : 'failed';
  return { event: afterFailure(heal, { in: 'rollout', outcome, detail: check.detail }, at, f.dryRun) };
}

async function checkRollout(heal: Heal, deps: EngineDeps): Promise<RolloutCheck> {
  const step = heal.steps[heal.step]!;
  const action = deps.registry.get(step.action);
  if (!action?.rolloutStatus) return { state: 'done', detail: 'no rollout to watch' };
  try {
    return await action.rolloutStatus(actionContext(heal, deps), action.params.parse(step.params));
  } catch (err) {
    const detail = `${isSalveError(err) ? err.code : 'error'}: ${(err as Error).message}`;
    return { state: 'error', detail, retryable: isSalveError(err) && err.retryable };
  }
}

export async function rolloutPhase(heal: HealIn<'rollout'>, deps: EngineDeps): Promise<Heal> {
  const step = heal.steps[heal.step]!;
  const check = await checkRollout(heal, deps);
  const decision = decideRollout(heal, check, {
    at: nowIso(deps),
    dryRun: isDryRun(heal, policyOf(heal, deps), deps.settings),
    pollAt: inMs(deps, deps.settings.rolloutPollMs),
    resolveDeadlineAt: inMs(deps, step.verify.resolvedMs ?? deps.settings.defaultResolvedMs),
  });
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  return commit(apply(heal, decision.event), deps);
}

export type ResolveFacts = {
  at: string;
  dryRun: boolean;
  alerts: HealAlert[];
  /** How many of the firing alerts still fire, and who said so. */
  stillFiring: number;
  source: string;
  /** When to look again: Alertmanager's API is asked every so often; else the deadline (resolutions wake it). */
  pollAt: string | null;
};

/** verifying (resolved): every attached alert must resolve before the deadline, else the next step. Pure. */
export function decideResolve(heal: Heal, f: ResolveFacts): Decision<'resolve'> {
  const at = f.at;
  if (f.alerts.length === 0) return { event: { type: 'nothing_to_verify', at, dryRun: f.dryRun } };
  if (f.stillFiring === 0) {
    // Alertmanager no longer lists them: they are resolved, even before its resolved notification arrives.
    const resolvedByApi = f.alerts
      .filter((a) => a.resolvedAt === null)
      .map((a) => ({ fingerprint: a.fingerprint, startsAt: a.startsAt }));
    return { event: { type: 'alerts_resolved', at, source: f.source, resolvedByApi, dryRun: f.dryRun } };
  }
  if (expired(heal, at)) {
    return { event: afterFailure(heal, { in: 'resolve', stillFiring: f.stillFiring }, at, f.dryRun) };
  }
  const next = f.pollAt ?? heal.deadlineAt;
  return { wait: next && heal.deadlineAt && next > heal.deadlineAt ? heal.deadlineAt : next };
}

export async function resolvePhase(heal: HealIn<'resolve'>, deps: EngineDeps): Promise<Heal> {
  const alerts = await deps.store.healAlerts(heal.id);
  const firing = alerts.filter((a) => a.resolvedAt === null);
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
  const decision = decideResolve(heal, {
    at: nowIso(deps),
    dryRun: isDryRun(heal, policyOf(heal, deps), deps.settings),
    alerts,
    stillFiring,
    source,
    // Resolved notifications wake the heal (see ingest); polling is only for asking Alertmanager.
    pollAt: deps.alertmanager ? inMs(deps, deps.settings.resolvePollMs) : null,
  });
  if ('wait' in decision) return reschedule(heal, decision.wait, deps);
  return commit(apply(heal, decision.event), deps);
}
