import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { SalveError } from '../errors.js';

const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery cannot work against a token that is never ambient: salve sets no cookie, and a
 * page on another site cannot read the console's token. This hook closes the remaining gap, a salve run with
 * --insecure-no-auth, where a form on any web page an operator opens could otherwise post an approval.
 *
 * Browsers name the requesting site in Sec-Fetch-Site, which no page can set or forge; a write from another
 * site (`cross-site`) or a sibling subdomain (`same-site`) is refused before authentication. Alertmanager,
 * Slack, the CLI and curl send no such header, and links into the console (GET) still open it.
 */
export function refuseCrossSiteWrites(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  // A callback hook, not an async one: every request passes here, and a promise per hook is CPU for nothing.
  const site = writes.has(request.method) ? request.headers['sec-fetch-site'] : undefined;
  if (site === 'cross-site' || site === 'same-site') {
    done(
      new SalveError(
        'SALVE_REQUEST_CROSS_SITE',
        `refused a ${request.method} sent by a page on another site (Sec-Fetch-Site: ${site}); use the console on this origin or an API client`,
      ),
    );
    return;
  }
  done();
}
