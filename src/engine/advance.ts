import type { Heal, HealPhase } from '../domain/heal.js';
import { isSalveError } from '../errors.js';
import type { EngineDeps } from './context.js';
import { actionPhase } from './phase-action.js';
import { approvalPhase, guardsPhase } from './phase-guards.js';
import { resolvePhase, rolloutPhase } from './phase-verify.js';

const phases: Record<Exclude<HealPhase, 'done'>, (heal: Heal, deps: EngineDeps) => Promise<Heal>> = {
  guards: guardsPhase,
  approval: approvalPhase,
  action: actionPhase,
  rollout: rolloutPhase,
  resolve: resolvePhase,
};

/**
 * Moves a claimed heal through every phase that is due now, in one go: guards -> action runs without a
 * scheduler round-trip, which keeps the time from alert to first Kubernetes request short.
 */
export async function advanceHeal(heal: Heal, deps: EngineDeps): Promise<Heal> {
  let current = heal;
  for (let i = 0; i < 16; i++) {
    if (current.phase === 'done' || current.nextRunAt === null) return current;
    if (current.nextRunAt > deps.clock.now().toISOString()) return current;
    try {
      current = await phases[current.phase](current, deps);
    } catch (err) {
      // Someone else moved the heal (an approval, another replica after our lease expired): leave it to them.
      if (isSalveError(err) && err.code === 'SALVE_HEAL_CONFLICT') return current;
      throw err;
    }
  }
  return current;
}
