import type { FastifyReply, FastifyRequest } from 'fastify';
import { salveAttr, semconv } from '../observability/trace-attributes.js';
import { noopSpan, parseTraceparent, type Span, type Tracer } from '../observability/tracing.js';
import { actorOf } from './actor.js';

/**
 * Why a request's `traceparent` was not taken as the parent of its span. Only a request that authenticated
 * with a token may place salve's span in its caller's trace (Alertmanager's, when it traces its
 * notifications), and only with a header that parses strictly. A request salve cannot attribute
 * (`--insecure-no-auth`) starts a trace of its own; its header is neither followed nor linked. Heals never
 * take a caller's trace whatever the request: each starts its own (service/heal-traces.ts).
 */
export function ignoredTraceparent(
  request: Pick<FastifyRequest, 'headers' | 'principal'>,
  authenticated: boolean,
): { parent: string } | { ignored: 'unauthenticated' | 'malformed' | null } {
  const header = request.headers.traceparent;
  if (header === undefined) return { ignored: null };
  if (!authenticated || request.principal === null) return { ignored: 'unauthenticated' };
  if (typeof header !== 'string' || parseTraceparent(header) === null) return { ignored: 'malformed' };
  return { parent: header };
}

/**
 * The server span of a request that may open or move heals, started in its handler (so after
 * authentication: a refused request makes no span).
 */
function startRequestSpan(tracer: Tracer, request: FastifyRequest, authenticated: boolean): Span {
  const route = request.routeOptions.url ?? request.url;
  const from = ignoredTraceparent(request, authenticated);
  return tracer.startSpan(`${request.method} ${route}`, {
    kind: 'server',
    parent: 'parent' in from ? from.parent : null,
    attributes: {
      [semconv.httpMethod]: request.method,
      [semconv.httpRoute]: route,
      [semconv.urlPath]: request.url.split('?')[0],
      [salveAttr.actor]: request.principal ? actorOf(request) : undefined,
      ...('ignored' in from && from.ignored !== null ? { [salveAttr.traceparentIgnored]: from.ignored } : {}),
    },
  });
}

function endRequestSpan(span: Span, reply: FastifyReply): void {
  span.setAttributes({ [semconv.httpStatus]: reply.statusCode });
  if (reply.statusCode >= 500) span.fail(`answered ${reply.statusCode}`);
  span.end();
}

export type RequestSpans = {
  /** The request's span, started now; the no-op span when tracing is off. */
  start(request: FastifyRequest): Span;
  /** For the route's onResponse: ends the request's span, with the status it was answered. */
  end(request: FastifyRequest, reply: FastifyReply): Promise<void>;
};

/**
 * The spans of a route's requests in flight, each ended once answered, whatever the answer. `auth`: whether
 * requests prove who sent them (not with --insecure-no-auth).
 */
export function requestSpans(tracer: Tracer, auth: { open: boolean }): RequestSpans {
  const spans = new WeakMap<FastifyRequest, Span>();
  return {
    start(request) {
      if (!tracer.enabled) return noopSpan;
      const span = startRequestSpan(tracer, request, !auth.open);
      spans.set(request, span);
      return span;
    },
    async end(request, reply) {
      const span = spans.get(request);
      if (span) endRequestSpan(span, reply);
    },
  };
}
