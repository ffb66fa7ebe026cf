import type { Heal } from '../../domain/heal.js';
import { phaseOf, stateOf } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import { type Program, tx } from '../program.js';
import { healFromRow, healPatchColumns } from '../rows.js';
import type { HealTransition } from '../types.js';
import { reserveSlot } from './slots.js';

/**
 * One move of a heal, on every store, in this order: attached alerts known resolved; the compare-and-set on
 * (id, lease owner, stage) that writes the heal's fields; the action ledger (reserve, start, finish; an ended
 * heal's unused slot given back); the target lock; the outbox; the audit records, last (PostgreSQL holds the
 * audit lock from there to the commit). All of it or nothing: SALVE_HEAL_CONFLICT when the heal moved meanwhile.
 */
export function* transition(t: HealTransition, at: string): Program<Heal> {
  for (const alert of t.resolveAlerts ?? []) yield* tx.resolveAttachment(t.id, alert, at);
  const expect = t.expectStage && { state: stateOf(t.expectStage), phase: phaseOf(t.expectStage) };
  const row = yield* tx.updateHeal(
    t.id,
    {
      columns: healPatchColumns(t.set),
      ...(t.releaseLease ? { releaseLease: true } : {}),
      ...(t.renewLeaseUntil ? { renewLeaseUntil: t.renewLeaseUntil } : {}),
    },
    {
      owner: t.owner,
      ...(expect ? { expect } : {}),
      ...(t.requireAlertsResolved ? { noFiringAlerts: true } : {}),
    },
    at,
  );
  if (!row) {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${t.id} changed underneath (state or lease)`, {
      retryable: true,
    });
  }
  if (t.reserveSlot) yield* reserveSlot(t.reserveSlot, at);
  if (t.startAction) yield* tx.startAction(t.startAction, at);
  if (t.finishAction) yield* tx.finishAction(t.id, t.finishAction, at);
  if (row.closed_at !== null) yield* tx.releaseSlots(t.id);
  if (t.releaseTargetLock) yield* tx.releaseTargetLock(row.target_key, t.id);
  if (t.notify && t.notify.length > 0) yield* tx.enqueueOutbox(t.notify, t.id, at);
  if (t.audit.length > 0) yield* tx.appendAudit(t.audit, at);
  return healFromRow(row);
}
