const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;

/** The number the ASCII digits of `s` from `at` (`length` of them) make; NaN on any other character. */
function digits(s: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Whether `s` is `YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z` naming an instant that exists, as `toISOString()` writes it:
 * what Alertmanager sends (Prometheus's milliseconds, trailing zeros trimmed). Checked without a Date.
 */
function isCanonicalUtc(s: string): boolean {
  const length = s.length;
  if (length < 20 || length > 24 || s.charCodeAt(length - 1) !== 90 /* Z */) return false;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return false;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  // NaN fails every comparison below.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month))) return false;
  if (!(digits(s, 11, 2) <= 23 && digits(s, 14, 2) <= 59 && digits(s, 17, 2) <= 59)) return false;
  if (length === 20) return true;
  const fraction = length - 21;
  return s[19] === '.' && fraction >= 1 && digits(s, 20, fraction) >= 0;
}

/** `s` as `toISOString()` writes it, when `isCanonicalUtc(s)`; null for every other form. */
function canonicalUtc(s: string): string | null {
  if (!isCanonicalUtc(s)) return null;
  const length = s.length;
  const head = s.slice(0, 19);
  if (length === 20) return `${head}.000Z`;
  return length === 24 ? s : `${head}.${s.slice(20, length - 1).padEnd(3, '0')}Z`;
}

/**
 * Whether an RFC 3339 text names a day, hour, minute, second and offset that exist. `Date.parse` rolls what does
 * not over (`2026-02-30` to 2 March, `24:00` to the next day), so a day that never was would be stored as
 * another; Go's `time.Parse`, which Alertmanager writes with, refuses both. Any other text: false.
 */
export function namesRealInstant(s: string): boolean {
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysIn(digits(s, 0, 4), month))) return false;
  if (!(digits(s, 11, 2) <= 23 && digits(s, 14, 2) <= 59 && digits(s, 17, 2) <= 59)) return false;
  const zone = s.charCodeAt(s.length - 1);
  if (zone === 90 /* Z */ || zone === 122 /* z */) return true;
  // A numeric offset, `+HH:MM` or `-HH:MM`, ends the text.
  return digits(s, s.length - 5, 2) <= 23 && digits(s, s.length - 2, 2) <= 59;
}

/**
 * What both webhook validators accept as a timestamp: an instant that exists, and that a Date can hold. The
 * form Alertmanager sends is answered without a Date (twenty per delivery): a Date holds every instant of
 * years 0000 to 9999.
 */
export const isRealTimestamp = (s: string): boolean =>
  isCanonicalUtc(s) || (namesRealInstant(s) && !Number.isNaN(Date.parse(s)));

/**
 * An RFC 3339 timestamp (already validated) as `new Date(s).toISOString()` writes it, so that the same instant
 * always compares equal. The common form is recognised without a Date; anything else goes through one.
 */
export function normaliseTimestamp(s: string): string {
  return canonicalUtc(s) ?? new Date(s).toISOString();
}
