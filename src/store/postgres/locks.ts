import { hash } from 'node:crypto';
import type pg from 'pg';
import { prepared, type Queryable } from './db.js';

/**
 * Advisory lock keys. Store-wide locks use the two-int form in salve's own key space; per-target and
 * per-idempotency-key locks use the bigint form with a hashed key. The two forms never collide in PostgreSQL.
 */
export const lockSpace = 0x5a17e;
/** `ingest`: shared by the batches that lock their own alerts and targets, exclusive for one too big to. */
export const storeLocks = { migrations: 1, audit: 2, ingest: 3, limits: 4 } as const;

// The first 8 bytes of the text's SHA-256, big-endian and signed: every replica, of any release, must compute
// the same key (pinned by test/unit/postgres-lock-keys.test.ts). One-shot `hash` to hex, no Hash object nor
// Buffer per key (a batch computes one per alert; a Buffer is an allocation the garbage collector finalises).
function hashKey(text: string): bigint {
  return BigInt.asIntN(64, BigInt(`0x${hash('sha256', text, 'hex').slice(0, 16)}`));
}

export const targetLockKey = (policy: string, targetKey: string) =>
  hashKey(`target\u0000${policy}\u0000${targetKey}`);
export const idempotencyLockKey = (key: string) => hashKey(`idempotency\u0000${key}`);
/** An alert, firing or resolved: the batches that insert, attach or resolve it take turns. */
export const alertLockKey = (fingerprint: string, startsAt: string) =>
  hashKey(`alert\u0000${fingerprint}\u0000${startsAt}`);

/**
 * Transaction-scoped locks, taken in ascending key order: two transactions that need overlapping sets
 * wait for each other instead of deadlocking.
 */
export async function lockKeys(db: Queryable, keys: Iterable<bigint>): Promise<void> {
  const [statement] = lockKeysStatements(keys);
  if (statement) await db.query(statement);
}

// unnest yields the array in order, and each row's lock is taken as the row is produced.
const lockKeysStatement = prepared('SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k');

const sortedKeys = (keys: Iterable<bigint>) =>
  [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** The same as `lockKeys`, as statements to send with others in one round trip (none for no keys). */
export function lockKeysStatements(keys: Iterable<bigint>): pg.QueryConfig[] {
  const sorted = sortedKeys(keys);
  return sorted.length === 0 ? [] : [lockKeysStatement([sorted.map(String)])];
}
