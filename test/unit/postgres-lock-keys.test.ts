// Advisory lock keys (src/store/postgres/locks.ts) are shared by every replica, of any release, during a rolling
// upgrade too: two that computed different keys for one alert or target would not exclude each other. Pinned.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertLockKey, idempotencyLockKey, targetLockKey } from '../../src/store/postgres/locks.js';

describe('PostgreSQL advisory lock keys', () => {
  it('are the first 8 bytes of the SHA-256 of their text, signed, as every release computes them', () => {
    expect(alertLockKey('3f2a9c1e0b7d4a65', '2026-11-27T03:00:00.000Z')).toBe(6947906316813890091n);
    expect(targetLockKey('scorer-error-rate', 'ml-prod/deployment/scorer')).toBe(6024611039341083247n);
    expect(idempotencyLockKey('ops:rollback-2026-11-27')).toBe(-7241705012472476226n);
    expect(alertLockKey('fp-é✓', '2026-11-27T03:00:00.000Z')).toBe(-4359046727530890871n);
  });

  it('agree with the digest read as a signed big-endian integer, for keys of either sign', () => {
    const digest = (text: string) => createHash('sha256').update(text).digest().readBigInt64BE(0);
    const signs = new Set<boolean>();
    for (let i = 0; i < 200; i++) {
      const fingerprint = `fp-${i.toString(36)}-\u00e9\u{1f525}`;
      const key = alertLockKey(fingerprint, '2026-11-27T03:00:00.000Z');
      expect(key).toBe(digest(`alert\u0000${fingerprint}\u00002026-11-27T03:00:00.000Z`));
      signs.add(key < 0n);
    }
    expect(signs).toEqual(new Set([true, false]));
  });
});
