// Prometheus-style durations (`30s`, `5m`, `1h30m`, `2d`): units largest first, each at most once.
const UNIT_MS = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

export type DurationResult = { ok: true; ms: number } | { ok: false; error: string };
export type Rate = { count: number; windowMs: number };
export type RateResult = { ok: true; rate: Rate } | { ok: false; error: string };

const EXPECTED = 'expected a duration like 30m, 1h30m or 2d (units: y w d h m s ms)';

export function parseDuration(text: string): DurationResult {
  const trimmed = text.trim();
  // Prometheus accepts a bare `0`; any other number needs a unit, or 30 could mean seconds or minutes.
  if (trimmed === '0') return { ok: true, ms: 0 };
  const m = DURATION.exec(trimmed);
  if (trimmed === '' || m === null) return { ok: false, error: `${EXPECTED}, got ${JSON.stringify(text)}` };
  let ms = 0;
  UNITS.forEach((unit, i) => {
    const digits = m[i + 1];
    if (digits !== undefined) ms += Number(digits) * UNIT_MS[unit];
  });
  if (!Number.isSafeInteger(ms)) return { ok: false, error: `duration ${JSON.stringify(text)} is too large` };
  return { ok: true, ms };
}

/** `3/1h`: at most 3 per hour. */
export function parseRate(text: string): RateResult {
  const m = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (m === null)
    return { ok: false, error: `expected a rate like 3/1h (count/duration), got ${JSON.stringify(text)}` };
  const count = Number(m[1]);
  if (!Number.isSafeInteger(count) || count < 1) {
    return { ok: false, error: `rate ${JSON.stringify(text)} needs a count of at least 1` };
  }
  const window = parseDuration(m[2] ?? '');
  if (!window.ok) return { ok: false, error: `rate window: ${window.error}` };
  if (window.ms === 0)
    return { ok: false, error: `rate ${JSON.stringify(text)} needs a window longer than 0` };
  return { ok: true, rate: { count, windowMs: window.ms } };
}

/** The shortest Prometheus-style spelling of `ms`, for messages: 5400000 -> `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNITS) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
