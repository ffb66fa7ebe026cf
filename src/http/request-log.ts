import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from '../observability/logger.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the route adds to its request's completion line (the webhook: the delivery's outcome). */
    logFacts: Record<string, unknown> | null;
  }
}

/** The path alone: a query string is the client's to write, and could carry what should not be logged. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * One line per request at `info`, when it completes: method, path, status, response time, the remote
 * address and the route's facts, beside the request id every line of a request carries (`reqId`). Fastify's
 * own two lines ("incoming request", "request completed") cost a delivery as much as its validation; the
 * arrival is still told at `debug`. Both go through the request's logger, so a route's `logLevel` (the quiet
 * probes, app.ts) still holds them back. Fastify's other lines (a stream error, a failed serializer) stay.
 */
export class RequestLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    const log = request.log as Logger;
    if (!log.isLevelEnabled('debug')) return;
    log.debug(
      { method: request.method, url: pathOf(request.url), remoteAddress: request.ip },
      'incoming request',
    );
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const log = reply.log as Logger;
    if (!log.isLevelEnabled(error ? 'error' : 'info')) return;
    const fields = {
      method: request.method,
      url: pathOf(request.url),
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
      remoteAddress: request.ip,
      ...request.logFacts,
    };
    // The response could not be written whole (the socket failed): said as fastify says it.
    if (error) log.error({ ...fields, err: error }, 'request errored');
    else log.info(fields, 'request completed');
  }
}
