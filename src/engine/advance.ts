import type { Heal } from '../domain/heal.js';
import { inStage } from '../domain/heal-apply.js';
import { isSalveError } from '../errors.js';
import { salveAttr } from '../observability/trace-attributes.js';
import type { EngineDeps } from './context.js';
import { actionPhase } from './phase-action.js';
import { approvalPhase, guardsPhase } from './phase-guards.js';
import { resolvePhase, rolloutPhase } from './phase-verify.js';
import { adoptTrace, endStageSpan, failStageSpan, needsRoot, startStageSpan } from './trace.js';

/** What the engine does for a heal that is due, by its stage; an ended heal has nothing left to do. */
function runStage(heal: Heal, deps: EngineDeps): Promise<Heal> | null {
  if (inStage(heal, 'guards')) return guardsPhase(heal, deps);
  if (inStage(heal, 'approval')) return approvalPhase(heal, deps);
  if (inStage(heal, 'action')) return actionPhase(heal, deps);
  if (inStage(heal, 'rollout')) return rolloutPhase(heal, deps);
  if (inStage(heal, 'resolve')) return resolvePhase(heal, deps);
  return null;
}

/**
 * Moves a claimed heal through every stage that is due now, in one go: guards -> action runs without a
 * scheduler round-trip, which keeps the time from alert to first Kubernetes request short.
 */
export async function advanceHeal(heal: Heal, deps: EngineDeps): Promise<Heal> {
  let current = heal;
  for (let i = 0; i < 16; i++) {
    if (current.nextRunAt === null || current.nextRunAt > deps.clock.now().toISOString()) return current;
    if (needsRoot(current, deps.tracer)) current = (await adoptTrace(current, deps)) ?? current;
    // Tracing off: not even a no-op span is made.
    const span = deps.tracer.enabled ? startStageSpan(current, deps.tracer) : null;
    try {
      // Run inside the span from its first line: every request of the stage is its child.
      const next = span ? deps.tracer.withSpan(span, () => runStage(current, deps)) : runStage(current, deps);
      if (next === null) {
        span?.discard();
        return current;
      }
      const moved = await next;
      if (span) endStageSpan(span, current, moved);
      current = moved;
    } catch (err) {
      // Someone else moved the heal (an approval, another replica after our lease expired): leave it to them.
      if (isSalveError(err) && err.code === 'SALVE_HEAL_CONFLICT') {
        span?.setAttributes({ [salveAttr.outcome]: 'moved by another' });
        span?.end();
        return current;
      }
      if (span) failStageSpan(span, err);
      throw err;
    }
  }
  return current;
}
