import type { SlotReservation } from '../../domain/ledger.js';
import { fullLimit } from '../../domain/ledger.js';
import { limitReached, noLimitSince } from '../limits.js';
import { type Program, tx } from '../program.js';

/**
 * Takes the step's slot in the counted limits: the ceiling, the breaker and the cooldown are counted and the
 * slot inserted under one lock, so heals passing their guards at the same moment, on any replica, cannot both
 * take the last slot. A slot the heal already holds for the step is kept. Throws SALVE_LIMIT_REACHED.
 */
export function* reserveSlot(r: SlotReservation, at: string): Program<void> {
  const a = r.action;
  yield* tx.lockLimits();
  if (yield* tx.slotHeld(a.healId, a.step)) return;
  const counts = yield* tx.countLimits({
    healId: a.healId,
    policy: a.policy,
    targetKey: a.targetKey,
    globalSince: r.limits.global.since,
    targetSince: r.limits.target?.since ?? noLimitSince,
    cooldownSince: r.limits.cooldownSince ?? noLimitSince,
  });
  const hit = fullLimit(r.limits, counts);
  if (hit) throw limitReached(hit);
  yield* tx.insertReservation(a, at);
}
