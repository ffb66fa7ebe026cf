import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Scope, sha256, type TokenIdentity } from '../config/tokens.js';
import { SalveError } from '../errors.js';

export type Principal = { name: string; scopes: ReadonlySet<Scope> };

export type Authenticator = {
  /** Returns who is calling, or throws SALVE_AUTH_* (401/403). */
  authenticate(header: string | undefined, scope: Scope): Principal;
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

export function createAuthenticator(
  source: readonly TokenIdentity[] | (() => readonly TokenIdentity[]) | null,
): Authenticator {
  return {
    open: source === null,
    authenticate(header, scope) {
      if (source === null) return OPEN;
      const tokens = typeof source === 'function' ? source() : source;
      if (!header) throw new SalveError('SALVE_AUTH_MISSING', 'send a token: Authorization: Bearer TOKEN');
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

export function authHook(auth: Authenticator) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    request.principal = auth.authenticate(request.headers.authorization, scope);
  };
}
