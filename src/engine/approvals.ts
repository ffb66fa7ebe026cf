import type { Heal } from '../domain/heal.js';
import { apply, inStage } from '../domain/heal-apply.js';
import { SalveError } from '../errors.js';
import { commit } from './commit.js';
import type { EngineDeps } from './context.js';

export type ApprovalDecision = 'approve' | 'reject';

export type ApprovalInput = {
  id: string;
  decision: ApprovalDecision;
  actor: string;
  at: string;
  comment?: string;
  /** Where the decision came from: `api`, `slack`. */
  via?: string;
};

/**
 * An operator's decision on a heal waiting for approval, from the API or from a Slack button. Conditional on the
 * heal still waiting: a second click, or a decision racing the expiry, gets SALVE_HEAL_CONFLICT.
 */
export async function decideApproval(deps: EngineDeps, input: ApprovalInput): Promise<Heal> {
  const heal = await deps.store.getHeal(input.id);
  if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${input.id}`);
  if (!inStage(heal, 'approval')) {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${input.id} is ${heal.state}, not awaiting approval`);
  }
  const { actor, at, comment } = input;
  const type = input.decision === 'approve' ? 'approved' : 'rejected';
  // Decided by an operator, not by the engine's lease holder.
  return commit(apply(heal, { type, at, actor, comment, via: input.via ?? 'api' }), deps, null);
}
