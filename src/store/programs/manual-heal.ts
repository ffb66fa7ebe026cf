import type { Heal, HealTrigger } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import { reuseByKey } from '../idempotency.js';
import { newId } from '../ids.js';
import { type Program, tx } from '../program.js';
import { healOpenedRecord } from '../records.js';
import { healFromRow } from '../rows.js';
import type { ManualHealInput } from '../types.js';
import { newHealRow } from './new-heal.js';

/**
 * A heal opened by hand, on every store: the same Idempotency-Key (scoped to the caller) returns the same heal
 * (another request under it is refused); an open heal of the policy and target is returned as it is;
 * otherwise a new one opens, audited.
 */
export function* openManualHeal(input: ManualHealInput): Program<{ heal: Heal; created: boolean }> {
  const pair = { policy: input.policy, targetKey: input.targetKey };
  const key = input.idempotencyKey;
  yield* tx.lockOpeners([pair], key === null ? undefined : `${input.actor}\u0000${key}`);
  if (key !== null) {
    const existing = yield* tx.healByKey(input.actor, key);
    if (existing) return reuseByKey(existing, input);
  }
  const [open] = yield* tx.openHeals([pair]);
  if (open) return { heal: healFromRow(open), created: false };
  const trigger: HealTrigger = {
    kind: 'manual',
    actor: input.actor,
    reason: input.reason,
    force: input.force,
  };
  const heal = { ...input, id: newId('heal', new Date(input.at)) };
  yield* tx.insertHeals([
    newHealRow({
      ...heal,
      trigger,
      ...(key === null ? {} : { idempotency: { key, scope: input.actor, digest: input.requestDigest } }),
    }),
  ]);
  const row = yield* tx.getHealRow(heal.id);
  if (!row) throw new SalveError('SALVE_INTERNAL', `heal ${heal.id} was not written`);
  yield* tx.appendAudit([healOpenedRecord(heal, input.actor, trigger)], input.at);
  return { heal: healFromRow(row), created: true };
}
