import type { Heal } from '../domain/heal.js';
import type { EventOf, StepFailure } from '../domain/heal-events.js';

/** The current step did not heal: the next step, or humans when none is left (a dry run only says so). */
export function afterFailure(
  heal: Heal,
  failure: StepFailure,
  at: string,
  dryRun: boolean,
): EventOf<'next_step' | 'steps_exhausted'> {
  return heal.step + 1 < heal.steps.length
    ? { type: 'next_step', at, failure }
    : { type: 'steps_exhausted', at, failure, dryRun };
}
