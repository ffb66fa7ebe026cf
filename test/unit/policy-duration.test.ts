import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseRate } from '../../src/domain/duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['250ms', 250],
    ['1m30s500ms', 90_500],
    ['0', 0],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each(['', '30', '30x', 'm5', '5m1h', '1.5h', '-5m', '5 m', '1h1h'])(
    'refuses %j with the expected shape',
    (text) => {
      const result = parseDuration(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain('expected a duration like 30m');
    },
  );

  it('refuses a duration too large to count in milliseconds', () => {
    const result = parseDuration('99999999999999y');
    expect(result).toEqual({ ok: false, error: expect.stringContaining('too large') });
  });
});

describe('parseRate', () => {
  it('reads count per window', () => {
    expect(parseRate('3/1h')).toEqual({ ok: true, rate: { count: 3, windowMs: 3_600_000 } });
    expect(parseRate(' 10 / 30m ')).toEqual({ ok: true, rate: { count: 10, windowMs: 1_800_000 } });
  });

  it.each([
    ['3', 'expected a rate like 3/1h'],
    ['0/1h', 'count of at least 1'],
    ['3/0s', 'window longer than 0'],
    ['3/1x', 'rate window: expected a duration like 30m'],
    ['a/1h', 'expected a rate like 3/1h'],
  ])('refuses %j', (text, message) => {
    expect(parseRate(text)).toEqual({ ok: false, error: expect.stringContaining(message) });
  });
});

describe('formatDuration', () => {
  it('prints the shortest Prometheus spelling and round-trips through the parser', () => {
    for (const text of ['1h30m', '2d', '30s', '1w2d3h4m5s6ms']) {
      const parsed = parseDuration(text);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(formatDuration(parsed.ms)).toBe(text);
    }
    expect(formatDuration(0)).toBe('0s');
  });
});
