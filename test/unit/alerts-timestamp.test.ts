import { describe, expect, it } from 'vitest';
import { timestamp } from '../../src/alerts/schema.js';
import { isRealTimestamp, namesRealInstant, normaliseTimestamp } from '../../src/alerts/timestamp.js';
import { alertmanagerFixture, alertmanagerFixtureNames } from '../support/fixtures.js';

/** What normalising meant before the fast path, and must still mean: a Date's ISO string. */
const throughDate = (s: string) => new Date(s).toISOString();

/** A deterministic generator: the same cases on every run. */
function random(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('normaliseTimestamp', () => {
  it('writes every captured Alertmanager timestamp as a Date would', () => {
    for (const name of alertmanagerFixtureNames()) {
      for (const a of alertmanagerFixture(name).alerts) {
        for (const s of [a.startsAt, a.endsAt ?? a.startsAt] as string[])
          expect(normaliseTimestamp(s)).toBe(throughDate(s));
      }
    }
  });

  it('writes 20,000 generated timestamps the schema accepts as a Date would, whatever their form', () => {
    const next = random(17);
    const fractions = ['', '.', '.1', '.12', '.123', '.1234', '.123456789', '.000', '.10', '.5'];
    const zones = ['Z', 'z', '+00:00', '-00:00', '+05:30', '-11:00'];
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const s =
        `${pad(next(10_000), 4)}-${pad(next(14), 2)}-${pad(next(33), 2)}T` +
        `${pad(next(26), 2)}:${pad(next(61), 2)}:${pad(next(62), 2)}` +
        `${fractions[next(fractions.length)]}${i % 3 === 0 ? 'Z' : zones[next(zones.length)]}`;
      if (!timestamp.safeParse(s).success) continue;
      checked += 1;
      expect(normaliseTimestamp(s), s).toBe(throughDate(s));
    }
    expect(checked).toBeGreaterThan(5_000);
  });

  it.each([
    '0001-01-01T00:00:00Z',
    '0000-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
    '2024-02-29T12:00:00Z',
    '2000-02-29T00:00:00.5Z',
    '2026-11-27T01:03:42.38Z',
    '2026-11-27T00:45:52.027Z',
  ])('%s, an instant that exists, is written as a Date writes it', (s) => {
    expect(normaliseTimestamp(s)).toBe(throughDate(s));
  });

  it.each([
    '1900-02-29T00:00:00Z',
    '2023-02-29T00:00:00.000Z',
    '2026-04-31T00:00:00Z',
    '2026-11-27T24:00:00Z',
    '2026-11-27T23:60:00Z',
    '2026-11-27T23:59:60Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
  ])('%s, a day or time that does not exist, is left to a Date (never passed through as it is)', (s) => {
    const date = new Date(s);
    if (Number.isNaN(date.getTime())) expect(() => normaliseTimestamp(s)).toThrow(RangeError);
    else expect(normaliseTimestamp(s)).toBe(date.toISOString());
  });
});

describe('namesRealInstant', () => {
  it.each([
    '2026-11-27T00:45:52Z',
    '2026-11-27T00:45:52.027Z',
    '2024-02-29T12:00:00Z',
    '2000-02-29T00:00:00.5Z',
    '2026-12-31T23:59:59.999999999Z',
    '2026-11-27T02:45:52.027000+02:00',
    '2026-11-27T02:45:52-23:59',
    '2026-11-27t00:45:52z',
  ])('%s exists', (s) => {
    expect(namesRealInstant(s)).toBe(true);
  });

  it.each([
    ['2026-02-30T00:00:00Z', 'a 30 February (Date.parse: 2 March)'],
    ['2023-02-29T00:00:00Z', 'a 29 February outside a leap year'],
    ['1900-02-29T00:00:00Z', 'a 29 February of a century not divisible by 400'],
    ['2026-04-31T00:00:00.5Z', 'a 31 April'],
    ['2026-00-10T00:00:00Z', 'month 0'],
    ['2026-11-00T00:00:00Z', 'day 0'],
    ['2026-11-27T24:00:00Z', 'hour 24 (Date.parse: the next day)'],
    ['2026-11-27T23:60:00Z', 'minute 60'],
    ['2026-11-27T23:59:60Z', 'second 60'],
    ['2026-11-27T02:45:52+24:00', 'an offset of 24 hours'],
    ['2026-11-27T02:45:52+02:60', 'an offset minute 60'],
    ['2026-11-27', 'a date alone'],
    ['', 'nothing'],
    ['yesterday', 'words'],
  ])('%s does not (%s)', (s) => {
    expect(namesRealInstant(s)).toBe(false);
  });

  it('is what the schema asks, with a message naming what must exist', () => {
    const rolled = timestamp.safeParse('2026-02-30T00:00:00Z');
    expect(rolled.success).toBe(false);
    expect(rolled.error?.issues[0]?.message).toMatch(/a day of its month, hours 00-23/);
    expect(timestamp.safeParse('2024-02-29T00:00:00Z').success).toBe(true);
  });
});

describe('isRealTimestamp', () => {
  /** What it answered before the form Alertmanager sends was checked without a Date. */
  const throughDateParse = (s: string) => namesRealInstant(s) && !Number.isNaN(Date.parse(s));
  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

  it('answers as namesRealInstant and Date.parse together, on 20,000 generated RFC 3339 timestamps', () => {
    const next = random(29);
    const fractions = ['', '.', '.1', '.12', '.123', '.1234', '.123456789', '.000', '.10', '.5'];
    const zones = ['Z', 'z', '+00:00', '-00:00', '+05:30', '-11:00'];
    let canonical = 0;
    for (let i = 0; i < 20_000; i++) {
      const s =
        `${pad(next(10_000), 4)}-${pad(next(14), 2)}-${pad(next(33), 2)}T` +
        `${pad(next(26), 2)}:${pad(next(61), 2)}:${pad(next(62), 2)}` +
        `${fractions[next(fractions.length)]}${i % 2 === 0 ? 'Z' : zones[next(zones.length)]}`;
      if (!RFC3339.test(s)) continue;
      if (s.endsWith('Z') && s.length <= 24) canonical += 1;
      expect(isRealTimestamp(s), s).toBe(throughDateParse(s));
    }
    expect(canonical).toBeGreaterThan(5_000);
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '2024-02-29T00:00:00.5Z',
    '2023-02-29T00:00:00Z',
    '2026-11-27T24:00:00.000Z',
    '2026-11-27T23:59:60Z',
    '2026-11-27T00:45:52.Z',
    '2026-11-27T00:45:52.1234Z',
    '2026-11-27T00:45:52.12aZ',
  ])('%s: the same answer as before', (s) => {
    expect(isRealTimestamp(s)).toBe(throughDateParse(s));
  });
});
