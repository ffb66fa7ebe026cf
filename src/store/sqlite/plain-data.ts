// What JSON carries exactly: the test behind the SQLite writer thread's packed hand-over (ingest-wire.ts). A
// value that is not plain data crosses by structured clone instead, which keeps what it keeps and refuses what
// it refuses, as before.

/** Deeper than any outcome salve makes; past it a value crosses by structured clone (which keeps cycles). */
const MAX_DEPTH = 64;

const plainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Whether JSON.parse(JSON.stringify(value)) rebuilds `value` as the writes read it: strings, booleans, null,
 * finite numbers, arrays without holes or undefined, and objects of Object's prototype (or none) holding these.
 * An object's property whose value is undefined is left out by JSON: every reader of it sees undefined all the
 * same. Functions, symbols, bigints, NaN, Infinity, class instances (Date, Map, typed arrays) and cycles are not.
 */
export function isPlainData(value: unknown, depth = 0): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainData(value[i], depth + 1)) return false;
    return true;
  }
  if (!plainObject(value)) return false;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined && !isPlainData(item, depth + 1)) return false;
  }
  return true;
}

/**
 * Whether `value` has the same JSON text as `known`, which is plain data (isPlainData): then `value` is plain
 * data too. Cheaper than writing `value` out: a delivery's alerts mostly carry equal match outcomes.
 */
export function sameAsPlain(value: unknown, known: unknown, depth = 0): boolean {
  if (value === known) return typeof value !== 'number' || Number.isFinite(value);
  if (typeof value !== 'object' || typeof known !== 'object' || value === null || known === null)
    return false;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (!Array.isArray(known) || value.length !== known.length) return false;
    for (let i = 0; i < value.length; i++) if (!sameAsPlain(value[i], known[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(known) || !plainObject(value)) return false;
  // Same keys with defined values, each the same: an undefined value on either side is one JSON leaves out.
  let keys = 0;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined) continue;
    keys += 1;
    if (!sameAsPlain(item, (known as Record<string, unknown>)[key], depth + 1)) return false;
  }
  for (const key in known) if ((known as Record<string, unknown>)[key] !== undefined) keys -= 1;
  return keys === 0;
}
