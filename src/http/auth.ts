import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { type Scope, sha256, type TokenIdentity } from '../config/tokens.js';
import { SalveError } from '../errors.js';

export type Principal = { name: string; scopes: ReadonlySet<Scope> };

export type Authenticator = {
  /**
   * Returns who is calling, or throws SALVE_AUTH_* (401/403). `connection` (the request's socket) lets a
   * connection that presents the header it was last accepted with skip the token's digest (see `acceptedOn`).
   */
  authenticate(header: string | undefined, scope: Scope, connection?: object): Principal;
  readonly open: boolean;
};

const OPEN: Principal = { name: 'anonymous', scopes: new Set(['alertmanager', 'operator', 'viewer']) };

/** Operators can read what they act on. */
function grants(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope) || (scope === 'viewer' && principal.scopes.has('operator'));
}

function presentedToken(header: string): string | null {
  const space = header.indexOf(' ');
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    // Alertmanager's basic_auth: the token is the password, the username is free.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : decoded.slice(colon + 1);
  }
  return null;
}

/** The token a connection was last accepted with: its header's bytes, and the tokens in force then. */
type Accepted = { header: Buffer; tokens: readonly TokenIdentity[]; found: TokenIdentity };

/**
 * Whether `header` is, byte for byte, the one `accepted` holds, compared in constant time: a connection shared
 * by several clients (a pooling proxy) must not learn the accepted header from how fast a guess is refused.
 * Headers of another length are compared with themselves, so a length that differs costs the same compare.
 */
function sameHeader(header: string, accepted: Buffer): boolean {
  const presented = Buffer.from(header, 'utf8');
  if (presented.length !== accepted.length) return !timingSafeEqual(presented, presented);
  return timingSafeEqual(presented, accepted);
}

/** The token entry the header names, comparing its digest with every entry; undefined when none. */
function identify(header: string, tokens: readonly TokenIdentity[]): TokenIdentity | undefined {
  const token = presentedToken(header);
  if (token === null) {
    throw new SalveError(
      'SALVE_AUTH_INVALID',
      'Authorization must be Bearer TOKEN or Basic with the token as password',
    );
  }
  const digest = sha256(token);
  let found: TokenIdentity | undefined;
  // Compare against every entry, always, so timing does not reveal which one (or whether any) matched.
  for (const candidate of tokens) {
    if (timingSafeEqual(candidate.digest, digest) && !found) found = candidate;
  }
  return found;
}

export function createAuthenticator(
  source: readonly TokenIdentity[] | (() => readonly TokenIdentity[]) | null,
): Authenticator {
  /**
   * Per connection, the header it was last accepted with. Alertmanager sends every notification of a
   * connection with the same header: the second one on skips the digest. Valid only while the same tokens are
   * in force (a reload makes a new list: the next request is checked in full, a revoked token refused), and
   * only for the exact header accepted; anything else is checked in full and forgets the connection's entry.
   * A refused header is never remembered. The scope is checked on every request.
   */
  const acceptedOn = new WeakMap<object, Accepted>();
  return {
    open: source === null,
    authenticate(header, scope, connection) {
      if (source === null) return OPEN;
      const tokens = typeof source === 'function' ? source() : source;
      if (!header) throw new SalveError('SALVE_AUTH_MISSING', 'send a token: Authorization: Bearer TOKEN');
      const accepted = connection === undefined ? undefined : acceptedOn.get(connection);
      let found: TokenIdentity | undefined;
      if (accepted !== undefined && accepted.tokens === tokens && sameHeader(header, accepted.header)) {
        found = accepted.found;
      } else {
        if (accepted !== undefined) acceptedOn.delete(connection!);
        found = identify(header, tokens);
        if (found && connection !== undefined) {
          acceptedOn.set(connection, { header: Buffer.from(header, 'utf8'), tokens, found });
        }
      }
      if (!found) throw new SalveError('SALVE_AUTH_INVALID', 'token not recognised');
      if (!grants(found, scope)) {
        throw new SalveError('SALVE_AUTH_FORBIDDEN', `token "${found.name}" lacks the "${scope}" scope`);
      }
      return { name: found.name, scopes: found.scopes };
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route requires; routes without one are public (health, metrics, docs). */
    scope?: Scope;
  }
}

/** A callback hook, not an async one: every request passes here, and a promise per hook is CPU for nothing. */
export function authHook(auth: Authenticator) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const scope = request.routeOptions.config.scope;
    if (scope) {
      try {
        request.principal = auth.authenticate(request.headers.authorization, scope, request.raw.socket);
      } catch (error) {
        done(error as Error);
        return;
      }
    }
    done();
  };
}
