import { SalveError } from '../errors.js';
import { auditTypes } from '../store/audit-types.js';
import type { Heal } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { notificationsFor } from './notify-events.js';

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
  const { store } = deps;
  const heal = await store.getHeal(input.id);
  if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${input.id}`);
  if (heal.state !== 'awaiting_approval') {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${input.id} is ${heal.state}, not awaiting approval`);
  }
  const data = { comment: input.comment, via: input.via ?? 'api' };
  const base = { healId: heal.id, policy: heal.policy, target: heal.targetKey, actor: input.actor };
  const approved = input.decision === 'approve';
  const notify = await notificationsFor(heal, deps, 'approval.decided', {
    approval: { decision: approved ? 'approved' : 'rejected', decidedBy: input.actor },
  });
  if (approved) {
    return store.transition({
      id: heal.id,
      owner: null,
      expectState: 'awaiting_approval',
      // Back through the guards: pause, cooldown and limits may have changed while it waited.
      set: {
        state: 'pending',
        phase: 'guards',
        approvedBy: input.actor,
        approvedAt: input.at,
        nextRunAt: input.at,
        deadlineAt: null,
        pageAt: null,
        reason: 'approved',
      },
      audit: [{ ...base, type: auditTypes.approvalGranted, outcome: 'approved', data }],
      notify,
    });
  }
  return store.transition({
    id: heal.id,
    owner: null,
    expectState: 'awaiting_approval',
    set: {
      state: 'cancelled',
      phase: 'done',
      nextRunAt: null,
      deadlineAt: null,
      pageAt: null,
      reason: 'rejected',
      closedAt: input.at,
    },
    audit: [{ ...base, type: auditTypes.approvalRejected, outcome: 'rejected', data }],
    notify,
    releaseLease: true,
  });
}
