import type { Heal } from '../domain/heal.js';
import { apply, inStage } from '../domain/heal-apply.js';
import { commit } from '../engine/commit.js';
import type { EngineDeps } from '../engine/context.js';
import { withHealSpan } from '../engine/trace.js';
import { SalveError } from '../errors.js';
import { salveAttr } from '../observability/trace-attributes.js';

export type ApprovalDeps = { engineDeps: EngineDeps; engine: { poke(): void } };

export type ApprovalInput = {
  id: string;
  decision: 'approve' | 'reject';
  actor: string;
  at: string;
  comment?: string;
  /** Where the decision came from: `api`, `slack`. */
  via: string;
};

/**
 * An operator's decision on a heal waiting for approval, from the API or from a Slack button: one move of the
 * heal, like the engine's. Conditional on the heal still waiting: a second click, or a decision racing the
 * expiry, gets SALVE_HEAL_CONFLICT.
 */
export async function decideApproval(deps: ApprovalDeps, input: ApprovalInput): Promise<Heal> {
  const heal = await deps.engineDeps.store.getHeal(input.id);
  if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${input.id}`);
  if (!inStage(heal, 'approval')) {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${input.id} is ${heal.state}, not awaiting approval`);
  }
  const { actor, at, comment, via } = input;
  const type = input.decision === 'approve' ? 'approved' : 'rejected';
  // Decided by an operator, not by the engine's lease holder; a span of the heal's trace.
  const decided = await withHealSpan(
    deps.engineDeps.tracer,
    `heal ${input.decision}`,
    heal,
    { [salveAttr.actor]: actor, [salveAttr.outcome]: type, [salveAttr.via]: via },
    () => commit(apply(heal, { type, at, actor, comment, via }), deps.engineDeps, null),
  );
  // Approved: back through the guards, now.
  if (type === 'approved') deps.engine.poke();
  return decided;
}
