import { describe, expect, it } from 'vitest';
import { clockSkewMs, createCommittedAlerts } from '../../src/service/committed-alerts.js';
import { fakeClock } from '../support/fake-clock.js';

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
    const set = createCommittedAlerts(h.trust, { capacity: 10 });
    set.remember(ids(0), set.trusted());
    for (let i = 1; i <= 30; i++) {
      set.remember(ids(i), set.trusted());
      // 0 keeps being re-sent (and so re-remembered) while new alerts come.
      set.remember(ids(0), set.trusted());
      expect(set.size).toBeLessThanOrEqual(10);
    }
    expect(set.knownOf(ids(0, 1, 2, 3, 30), set.trusted())).toEqual(new Set(ids(0, 30)));
  });

  it('knows a delivery whole across both generations, in any order, and not with one alert missing', () => {
    const set = createCommittedAlerts(health().trust, { capacity: 8 });
    // 1-4 fill the newer generation and turn over into the older one; 5-6 are in the newer.
    set.remember(ids(1, 2, 3, 4), set.trusted());
    set.remember(ids(5, 6), set.trusted());
    const trust = set.trusted();
    for (const order of [ids(1, 5, 2, 6, 3), ids(5, 6, 1, 2), ids(1, 2, 5, 6), ids(6, 4)])
      expect(set.allKnown(order, trust)).toBe(true);
    for (const order of [ids(1, 5, 7), ids(5, 1, 7), ids(7, 1), ids(1, 2, 7), ids(5, 6, 7)])
      expect(set.allKnown(order, trust)).toBe(false);
    expect(set.allKnown(ids(1, 5), null)).toBe(false);
  });
});

/** ISO text `ms` after the clock's present. */
const at = (clock: { now(): Date }, ms: number) => new Date(clock.now().getTime() + ms).toISOString();
const identity = (n: number, startsAt: string) => `f/p${n}/${startsAt}/firing`;

describe('which unseen alerts may be in the store (read before matching)', () => {
  it('with other writers (PostgreSQL replicas), every alert the set does not hold may be', () => {
    const set = createCommittedAlerts(health().trust);
    expect(set.mayBeCommitted('2026-01-01T00:00:00.000Z')).toBe(true);
    expect(set.mayBeCommitted('9999-12-31T23:59:59.999Z')).toBe(true);
  });

  it('as the only writer: alerts started before it began (plus the clock skew) may be, later ones not', async () => {
    const clock = fakeClock();
    const set = createCommittedAlerts(health().trust, { sole: { clock } });
    expect(set.mayBeCommitted(at(clock, -60_000))).toBe(true);
    // Dated by a clock running slightly ahead: an earlier process may have committed it.
    expect(set.mayBeCommitted(at(clock, clockSkewMs))).toBe(true);
    expect(set.mayBeCommitted(at(clock, clockSkewMs + 1))).toBe(false);
    // Time passing does not widen it: a new incident an hour later is new.
    await clock.advance(3_600_000);
    expect(set.mayBeCommitted(at(clock, -1000))).toBe(false);
  });

  it('a call whose outcome is unknown: everything started up to now may have been committed', async () => {
    const clock = fakeClock();
    const set = createCommittedAlerts(health().trust, { sole: { clock } });
    await clock.advance(600_000);
    const started = at(clock, -300_000);
    expect(set.mayBeCommitted(started)).toBe(false);
    set.forget();
    expect(set.mayBeCommitted(started)).toBe(true);
    expect(set.mayBeCommitted(at(clock, clockSkewMs + 1))).toBe(false);
  });

  it('a failure seen, or the store down, moves it the same way', async () => {
    const clock = fakeClock();
    const h = health();
    const set = createCommittedAlerts(h.trust, { sole: { clock } });
    await clock.advance(600_000);
    h.state.failures += 1;
    expect(set.mayBeCommitted(at(clock, -1000))).toBe(false);
    set.trusted();
    expect(set.mayBeCommitted(at(clock, -1000))).toBe(true);
    await clock.advance(600_000);
    h.state.up = false;
    expect(set.trusted()).toBeNull();
    expect(set.mayBeCommitted(at(clock, -1000))).toBe(true);
  });

  it('what it drops past its capacity may be in the store again, up to the latest start it dropped', async () => {
    const clock = fakeClock();
    const set = createCommittedAlerts(health().trust, { capacity: 4, sole: { clock } });
    await clock.advance(3_600_000);
    const early = at(clock, -50 * 60_000);
    const late = at(clock, -40 * 60_000);
    const later = at(clock, -30 * 60_000);
    // Two of four: a full generation, now the older one.
    set.remember([identity(1, early), identity(2, late)], set.trusted());
    set.remember([identity(3, later)], set.trusted());
    expect(set.knownOf([identity(1, early)], set.trusted()).size).toBe(1);
    expect(set.mayBeCommitted(late)).toBe(false);
    // The newer fills up and the older is dropped: 1 and 2 must be read again, up to the latest start dropped.
    set.remember([identity(4, later)], set.trusted());
    expect(set.knownOf([identity(1, early), identity(3, later)], set.trusted())).toEqual(
      new Set([identity(3, later)]),
    );
    expect(set.mayBeCommitted(early)).toBe(true);
    expect(set.mayBeCommitted(late)).toBe(true);
    expect(set.mayBeCommitted(later)).toBe(false);
  });

  it('a hostile far-future start time dropped never moves it past the present', async () => {
    const clock = fakeClock();
    const set = createCommittedAlerts(health().trust, { capacity: 2, sole: { clock } });
    await clock.advance(3_600_000);
    set.remember([identity(1, '9999-12-31T23:59:59.999Z')], set.trusted());
    set.remember([identity(2, at(clock, -1000))], set.trusted());
    set.remember([identity(3, at(clock, -1000))], set.trusted());
    expect(set.knownOf([identity(1, '9999-12-31T23:59:59.999Z')], set.trusted()).size).toBe(0);
    // Bounded by the present (and the skew): a new incident next minute is still new without a read.
    await clock.advance(60_000);
    expect(set.mayBeCommitted(at(clock, 0))).toBe(false);
    expect(set.mayBeCommitted(at(clock, -60_000))).toBe(true);
  });
});
