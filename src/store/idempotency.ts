import type { Heal } from '../domain/heal.js';
import { SalveError } from '../errors.js';
import { type HealRow, healFromRow } from './rows.js';
import type { ManualHealInput } from './types.js';

/**
 * A heal found by the caller's Idempotency-Key: the same request again gets the same heal; another request
 * under the same key is refused (422), never silently answered with the first request's heal. Keys are scoped
 * to the caller (its token), so two callers choosing the same key never see each other's heals.
 */
export function reuseByKey(
  row: HealRow & { idempotency_digest?: string | null },
  input: ManualHealInput,
): {
  heal: Heal;
  created: false;
} {
  const heal = healFromRow(row);
  // Heals opened before keys were scoped carry no digest: nothing to compare them with.
  if (row.idempotency_digest && row.idempotency_digest !== input.requestDigest) {
    throw new SalveError(
      'SALVE_HEAL_IDEMPOTENCY_MISMATCH',
      `Idempotency-Key ${JSON.stringify(input.idempotencyKey)} was used for another request (heal ${heal.id}): ` +
        'use a new key for a new request',
      { details: { heal: heal.id } },
    );
  }
  return { heal, created: false };
}
