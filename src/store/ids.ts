import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** ULID-style ids (time first, then randomness): they sort by creation time, which cursors rely on. */
export function newId(prefix: string, now: Date): string {
  let time = now.getTime();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(10);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    const bitIndex = i * 5;
    const byte = bitIndex >> 3;
    const shift = bitIndex & 7;
    const word = ((random[byte] ?? 0) << 8) | (random[byte + 1] ?? 0);
    randomPart += CROCKFORD[(word >> (11 - shift)) & 31];
  }
  return `${prefix}_${timePart}${randomPart}`;
}

/** The smallest id `newId(prefix, at)` can make: ids made at `at` or later sort at or above it. */
export function idFloor(prefix: string, at: Date): string {
  return newId(prefix, at).replace(/[0-9a-z]{16}$/, '0'.repeat(16));
}
