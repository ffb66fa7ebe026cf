import type { Heal } from '../domain/heal.js';
import { isOpenStage } from '../domain/heal.js';
import { moveStepOutcome } from '../domain/heal-record.js';
import type { Transition } from '../domain/heal-transition.js';
import type { EngineDeps } from './context.js';
import { addressed } from './notify-events.js';
import { isDryRun, policyOf } from './step.js';
import { traceMove } from './trace.js';

export const nowIso = (deps: Pick<EngineDeps, 'clock'>) => deps.clock.now().toISOString();
export const inMs = (deps: Pick<EngineDeps, 'clock'>, ms: number) =>
  new Date(deps.clock.now().getTime() + ms).toISOString();

/** What a committed move is worth to the counters and the log. */
function observe(t: Transition, moved: Heal, deps: EngineDeps): void {
  if (t.event === 'guard_refused' || t.event === 'guard_escalated') {
    const refused = t.audit.find((r) => r.type === 'guard.refused');
    deps.metrics.guardRefusals.inc({ guard: String(refused?.data.guard), reason: String(refused?.outcome) });
  }
  const settled = moveStepOutcome(t);
  if (settled) {
    // A dry run healed nothing: its steps are counted apart, never as resolved.
    const dryRun = t.to === 'dry_run' || isDryRun(moved, policyOf(moved, deps), deps.settings);
    deps.metrics.healStepOutcomes.inc({
      policy: moved.policy,
      step: String(settled.step + 1),
      outcome: dryRun ? 'dry_run' : settled.outcome,
    });
  }
  if (isOpenStage(t.to)) return;
  const { policy, state, reason } = moved;
  deps.metrics.heals.inc({ policy, action: moved.steps[moved.step]?.action ?? 'none', outcome: state });
  if (state === 'resolved' && moved.closedAt) {
    const seconds = (new Date(moved.closedAt).getTime() - new Date(moved.openedAt).getTime()) / 1000;
    deps.metrics.timeToResolve.observe({ policy }, seconds);
  }
  const level = state === 'escalated' || state === 'failed' ? 'warn' : 'info';
  deps.log[level]({ heal: moved.id, policy, target: moved.targetKey, outcome: state, reason }, 'heal closed');
}

/**
 * Commits a move as one store transition: the heal's fields, its records, its notifications and its
 * bookkeeping, or nothing. It holds only while the heal is still in the stage the move was decided from and,
 * for the engine, while this process still holds its lease (`owner: null`: an operator's decision).
 */
export async function commit(
  t: Transition,
  deps: EngineDeps,
  owner: string | null = deps.settings.owner,
): Promise<Heal> {
  const { heal, set, audit, from, event: _event, to: _to, notify: drafts, ...bookkeeping } = t;
  const moved = await deps.store.transition({
    id: heal.id,
    owner,
    expectStage: from,
    set,
    audit,
    notify: await addressed(heal, drafts, deps),
    ...bookkeeping,
  });
  observe(t, moved, deps);
  traceMove(deps.tracer, t, moved);
  return moved;
}

/** Not a move: the heal stays where it is and is looked at again at `nextRunAt`. */
export function reschedule(heal: Heal, nextRunAt: string | null, deps: EngineDeps): Promise<Heal> {
  return deps.store.transition({
    id: heal.id,
    owner: deps.settings.owner,
    expectStage: heal.stage,
    set: { nextRunAt },
    audit: [],
  });
}
