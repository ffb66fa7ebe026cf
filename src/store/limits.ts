import type { LimitHit } from '../domain/ledger.js';
import { isSalveError, SalveError } from '../errors.js';

/** Far in the future: a limit that is not set counts nothing. */
export const noLimitSince = '9999-12-31T23:59:59.999Z';

export function limitReached(hit: LimitHit): SalveError {
  return new SalveError('SALVE_LIMIT_REACHED', `no slot left for the action: ${hit.limit} limit is full`, {
    details: { hit },
  });
}

/** The limit a reservation ran into, when that is what `err` says. */
export function limitHitOf(err: unknown): LimitHit | null {
  if (!isSalveError(err) || err.code !== 'SALVE_LIMIT_REACHED') return null;
  return (err.details?.hit as LimitHit | undefined) ?? null;
}
