import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the route adds to the request's `request completed` line (a webhook delivery: its outcome). */
    logOutcome: Record<string, unknown> | null;
  }
  interface FastifyContextConfig {
    /**
     * One line per request, when it completes, carrying the request (method, URL, host, peer), the status, the
     * time and the route's `logOutcome`: no `incoming request` line. For a route called hundreds of times a
     * second (Alertmanager's webhook), half the log and more in it.
     */
    oneLogLine?: boolean;
  }
}

const oneLine = (request: FastifyRequest) => request.routeOptions?.config?.oneLogLine === true;

/**
 * fastify's request lines, as fastify writes them for every route but those with `oneLogLine`, whose single
 * `request completed` line says what the incoming line said too.
 */
class SalveLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!oneLine(request)) super.incomingRequest(request, reply);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!oneLine(request) || this.isLogDisabled(request)) {
      super.requestCompleted(error, request, reply);
      return;
    }
    const line = { req: request, res: reply, responseTime: reply.elapsedTime, ...request.logOutcome };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export const requestLogController = () => new SalveLogController();
