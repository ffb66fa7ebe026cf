import { createHash } from 'node:crypto';
import type { AuditRecord, AuditVerification } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with keys sorted at every depth, so the same record always hashes the same on every store. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function hashAuditRecord(record: Omit<AuditRecord, 'hash'>): string {
  const { seq, at, type, actor, healId, policy, target, outcome, data, prevHash } = record;
  const body = canonicalJson({ seq, at, type, actor, healId, policy, target, outcome, data, prevHash });
  return createHash('sha256').update(body).digest('hex');
}

/** Walks records in sequence order; the first record whose link or hash does not hold is named. */
export function createChainVerifier() {
  let expectedPrev = GENESIS_HASH;
  let expectedSeq: number | null = null;
  let count = 0;
  return {
    check(record: AuditRecord): AuditVerification | null {
      count += 1;
      const fail = (reason: string): AuditVerification => ({
        ok: false,
        records: count,
        brokenAt: record.seq,
        reason,
      });
      if (expectedSeq !== null && record.seq !== expectedSeq) {
        return fail(`record ${expectedSeq} is missing (next found is ${record.seq})`);
      }
      if (record.prevHash !== expectedPrev) return fail('link to the previous record does not match');
      if (hashAuditRecord(record) !== record.hash) return fail('record content does not match its hash');
      expectedPrev = record.hash;
      expectedSeq = record.seq + 1;
      return null;
    },
    done(): AuditVerification {
      return { ok: true, records: count, head: expectedPrev };
    },
  };
}
