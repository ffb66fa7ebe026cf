import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { TokenCache } from '../types.js';

/** Tokens are renewed this long before they expire: clocks differ, and a request takes time. */
const MARGIN_MS = 60_000;
const MAX_ENTRIES = 256;

/** The process's one TokenCache (Airflow 3 is the peer that issues tokens for a password today). */
export function createTokenCache(clock: Clock): TokenCache {
  const entries = new Map<string, { token: string; expiresAt: number | undefined }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt !== undefined && entry.expiresAt - MARGIN_MS <= clock.now().getTime()) {
        entries.delete(key);
        return undefined;
      }
      return entry.token;
    },
    put(key, token, expiresAt) {
      entries.delete(key);
      entries.set(key, { token, expiresAt });
      // Oldest first: a process that talked to many peers keeps only the recent ones.
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    },
    forget(key, token) {
      if (entries.get(key)?.token === token) entries.delete(key);
    },
  };
}

/** A cache key for (where, who, which password): the password only as a digest. */
export function tokenKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A JWT's `exp` claim in epoch ms, when the token is a JWT that has one. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
