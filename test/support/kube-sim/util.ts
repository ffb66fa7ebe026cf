import { randomInt } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Deep copy with object keys sorted, the way Go's encoding/json writes a map. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortKeys(v[k]);
  return out;
}

export function canonical(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: six fractional digits. */
export function microTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000Z`;
}

// k8s.io/apimachinery/pkg/util/rand: consonants and digits that cannot spell words.
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

export function randomSuffix(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += SAFE_ALPHANUMS[randomInt(SAFE_ALPHANUMS.length)];
  return out;
}

/** randomSuffix from a seeded generator (mulberry32 over an FNV hash of the seed): the same names every run. */
export function seededSuffix(seed: string): (n: number) => string {
  let state = fnv32a(seed);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n) => {
    let out = '';
    for (let i = 0; i < n; i++) out += SAFE_ALPHANUMS[Math.floor(next() * SAFE_ALPHANUMS.length)];
    return out;
  };
}

export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The short hash controllers put into object names (pod-template-hash, controller-revision-hash). */
export function shortHash(v: unknown, collisionCount = 0): string {
  const seed = collisionCount > 0 ? `${canonical(v)}#${collisionCount}` : canonical(v);
  return safeEncode(String(fnv32a(seed)));
}

export function getPath(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Returns (creating on the way) the object at `path`. */
export function ensurePath(obj: Record<string, unknown>, path: string[]): Record<string, unknown> {
  let cur = obj;
  for (const p of path) {
    const next = cur[p];
    if (isObject(next)) cur = next;
    else {
      const created: Record<string, unknown> = {};
      cur[p] = created;
      cur = created;
    }
  }
  return cur;
}
