import type { ActionContext } from '../../src/actions/types.js';

type ActionHeal = ActionContext['heal'];

/**
 * The heal an action test runs under: marks count steps as a heal this release opens does (from 1, like
 * `step`), unless the test sets `markStep` itself to play a heal opened before that.
 */
export function withMarkStep(heal: Omit<ActionHeal, 'markStep'> & { markStep?: number }): ActionHeal {
  return { ...heal, markStep: heal.markStep ?? heal.step };
}
