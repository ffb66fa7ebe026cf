import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/domain/backoff.js';

describe('backoffDelay: the one backoff rule', () => {
  const policy = { baseMs: 1_000, maxMs: 30_000, jitter: 0.5 };

  it('doubles from the base per attempt, counted from 0, and stops at the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, { ...policy, jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 6].map(top)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('draws the jittered share below the ceiling: ceiling × (1 − jitter) up to the ceiling (rounded)', () => {
    expect(backoffDelay(2, policy, () => 0)).toBe(2_000);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(3_000);
    expect(backoffDelay(2, policy, () => 0.999_999)).toBeLessThanOrEqual(4_000);
    expect(backoffDelay(10, policy, () => 0)).toBe(15_000);
  });

  it('keeps a jitter outside [0, 1] and a negative attempt from producing a negative or oversized delay', () => {
    expect(backoffDelay(-3, policy, () => 0)).toBe(500);
    expect(backoffDelay(0, { ...policy, jitter: 7 }, () => 0)).toBe(0);
    expect(backoffDelay(0, { ...policy, jitter: -1 }, () => 0.9)).toBe(1_000);
  });

  it('stays within its bounds whatever the random source says', () => {
    const small = { baseMs: 250, maxMs: 5_000, jitter: 0.5 };
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(i % 8, small);
      expect(delay).toBeGreaterThanOrEqual(125);
      expect(delay).toBeLessThanOrEqual(5_000);
    }
  });
});
