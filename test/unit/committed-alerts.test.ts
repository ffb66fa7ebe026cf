import { describe, expect, it } from 'vitest';
import { createCommittedAlerts } from '../../src/service/committed-alerts.js';

/** A store health the test moves by hand. */
function health() {
  const state = { up: true, failures: 0 };
  return {
    state,
    trust: { isUp: () => state.up, failuresSeen: () => state.failures },
  };
}

const ids = (...n: number[]) => n.map((i) => `fp${i}/2026-01-01T00:00:00.000Z/firing`);

describe('the alert identities remembered as committed', () => {
  it('knows what it was told the store committed, and nothing else', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust);
    const trust = set.trusted();
    expect(set.knownOf(ids(1, 2), trust)).toEqual(new Set());
    set.remember(ids(1), trust);
    expect(set.knownOf(ids(1, 2), set.trusted())).toEqual(new Set(ids(1)));
  });

  it('a failure seen while the store call ran: what it answered is not remembered', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust);
    const trust = set.trusted();
    // The call is under way when a probe (or another call) fails: its answer may come from a store in doubt.
    h.state.failures += 1;
    set.remember(ids(1, 2), trust);
    expect(set.size).toBe(0);
    expect(set.knownOf(ids(1, 2), set.trusted())).toEqual(new Set());
  });

  it('a failure seen anywhere empties it: a restored or failed-over database may have lost what it held', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust);
    set.remember(ids(1, 2, 3), set.trusted());
    expect(set.size).toBe(3);
    h.state.failures += 1;
    expect(set.knownOf(ids(1, 2, 3), set.trusted())).toEqual(new Set());
    expect(set.size).toBe(0);
    // Learned again from the store once it commits.
    set.remember(ids(1), set.trusted());
    expect(set.knownOf(ids(1), set.trusted())).toEqual(new Set(ids(1)));
  });

  it('while the store is down it answers nothing and learns nothing, even once failures stop moving', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust);
    set.remember(ids(1), set.trusted());
    h.state.up = false;
    expect(set.trusted()).toBeNull();
    expect(set.knownOf(ids(1), set.trusted())).toEqual(new Set());
    set.remember(ids(2), set.trusted());
    expect(set.size).toBe(0);
    h.state.up = true;
    expect(set.knownOf(ids(1, 2), set.trusted())).toEqual(new Set());
  });

  it('forget() empties it: a call whose outcome is unknown', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust);
    set.remember(ids(1, 2), set.trusted());
    set.forget();
    expect(set.knownOf(ids(1, 2), set.trusted())).toEqual(new Set());
  });

  it('is bounded: past its capacity the oldest go, and a group still being re-sent stays', () => {
    const h = health();
    const set = createCommittedAlerts(h.trust, 10);
    set.remember(ids(0), set.trusted());
    for (let i = 1; i <= 30; i++) {
      set.remember(ids(i), set.trusted());
      // 0 keeps being re-sent (and so re-remembered) while new alerts come.
      set.remember(ids(0), set.trusted());
      expect(set.size).toBeLessThanOrEqual(10);
    }
    expect(set.knownOf(ids(0, 1, 2, 3, 30), set.trusted())).toEqual(new Set(ids(0, 30)));
  });
});
