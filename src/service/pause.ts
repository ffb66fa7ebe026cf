import type { Clock } from '../clock.js';
import { type AuditInput, auditTypes } from '../domain/audit.js';
import { breakerResetKey, pauseKey } from '../engine/context.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';

export type PauseDeps = {
  store: Pick<Store, 'getSetting' | 'setSetting'>;
  clock: Clock;
  metrics: Metrics;
  log: Pick<Logger, 'warn'>;
  engine: { poke(): void };
};

export type PauseState = { paused: boolean; by?: string; at?: string; reason?: string };

const record = (type: string, actor: string, data: Record<string, unknown>): AuditInput => ({
  type,
  actor,
  healId: null,
  policy: null,
  target: (data.target as string | undefined) ?? null,
  outcome: null,
  data,
});

export async function pauseState(deps: Pick<PauseDeps, 'store'>): Promise<PauseState> {
  const raw = await deps.store.getSetting(pauseKey);
  return raw ? { paused: true, ...(JSON.parse(raw) as Omit<PauseState, 'paused'>) } : { paused: false };
}

/**
 * The kill switch: alerts are still received and recorded; nothing is acted on. Survives restarts. One
 * transaction: a pause is never in force without its audit record, nor the other way round.
 */
export async function pause(deps: PauseDeps, by: { actor: string; reason?: string }): Promise<PauseState> {
  const { actor, reason } = by;
  const state = { by: actor, at: deps.clock.now().toISOString(), reason };
  await deps.store.setSetting(pauseKey, JSON.stringify(state), [
    record(auditTypes.pauseSet, actor, { reason }),
  ]);
  deps.metrics.paused.set(1);
  deps.log.warn({ by: actor, reason }, 'salve paused');
  return { paused: true, ...state };
}

/** Acting resumes at once: held heals are looked at now. */
export async function resume(deps: PauseDeps, by: { actor: string; reason?: string }): Promise<PauseState> {
  const { actor, reason } = by;
  const data = reason === undefined ? {} : { reason };
  await deps.store.setSetting(pauseKey, null, [record(auditTypes.pauseCleared, actor, data)]);
  deps.metrics.paused.set(0);
  deps.log.warn({ by: actor, reason }, 'salve resumed');
  deps.engine.poke();
  return { paused: false };
}

/** The heal-loop breaker of a target counts from now: actions before the reset no longer count. */
export async function resetBreaker(
  deps: Pick<PauseDeps, 'store' | 'clock'>,
  by: { actor: string; target: string },
): Promise<{ target: string; resetAt: string }> {
  const at = deps.clock.now().toISOString();
  const { actor, target } = by;
  await deps.store.setSetting(breakerResetKey(target), at, [
    record(auditTypes.breakerReset, actor, { target }),
  ]);
  return { target, resetAt: at };
}
