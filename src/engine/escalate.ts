import { auditTypes } from '../domain/audit.js';
import type { Heal } from '../domain/heal.js';
import type { EngineDeps } from './context.js';
import { closeHeal, healAudit, move, nowIso, stepNumber } from './moves.js';
import { notificationsFor } from './notify-events.js';

/** The current step did not heal: try the next one, or hand over to humans when none is left. */
export async function nextStepOrEscalate(heal: Heal, deps: EngineDeps, why: string): Promise<Heal> {
  await deps.store.releaseTargetLock(heal.targetKey, heal.id);
  const next = heal.step + 1;
  if (next < heal.steps.length) {
    return move(heal, deps, {
      set: {
        state: 'running',
        phase: 'action',
        step: next,
        attempt: 0,
        nextRunAt: nowIso(deps),
        deadlineAt: null,
        reason: why,
      },
      audit: [
        healAudit(heal, auditTypes.healNextStep, 'next_step', {
          from: { step: stepNumber(heal), action: heal.steps[heal.step]?.action },
          to: { step: next + 1, action: heal.steps[next]?.action },
          why,
        }),
      ],
    });
  }
  const tried = heal.steps.map((s, i) => ({ step: i + 1, action: s.action }));
  return closeHeal(
    heal,
    deps,
    'escalated',
    why,
    [healAudit(heal, auditTypes.healEscalated, 'escalated', { why, tried, needs: 'a human' })],
    await notificationsFor({ ...heal, state: 'escalated' }, deps, 'heal.escalated', {
      escalation: { why, tried },
    }),
  );
}
