import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorCode, errorCatalogue, isSalveError, isStoreUnavailable } from '../errors.js';
import { authFailureCodes } from './auth-failures.js';

/** Fastify's own failures, mapped onto salve's catalogue by their code (never by message). */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SALVE_REQUEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SALVE_REQUEST_UNSUPPORTED_MEDIA',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SALVE_REQUEST_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SALVE_REQUEST_BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SALVE_REQUEST_INVALID',
  FST_ERR_VALIDATION: 'SALVE_REQUEST_INVALID',
};

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isSalveError(error)) {
      // A store outage is logged once by the store's availability monitor, not with a stack per request.
      if (isStoreUnavailable(error))
        request.log.debug(
          { code: error.code, reason: error.message },
          'answered 503: the store is unavailable',
        );
      else if (error.status >= 500) request.log.error({ err: error, code: error.code }, 'request failed');
      // Authentication failures are counted and logged, rate-limited, by the onError hook (app.ts).
      else if (!authFailureCodes.has(error.code))
        request.log.info({ code: error.code, reason: error.message }, 'request refused');
      return reply.status(error.status).send({ error: { code: error.code, message: error.message } });
    }
    const mapped = error.code ? fastifyCodes[error.code] : undefined;
    // The JSON parser throws a bare SyntaxError with status 400.
    const code: ErrorCode =
      mapped ??
      (error instanceof SyntaxError || error.statusCode === 400
        ? 'SALVE_REQUEST_BAD_JSON'
        : 'SALVE_INTERNAL');
    const status = errorCatalogue[code].status;
    if (status >= 500) request.log.error({ err: error }, 'unhandled error');
    // Internal details stay in the log: an error body never echoes secrets or stack traces.
    const message = code === 'SALVE_INTERNAL' ? 'internal error' : error.message;
    return reply.status(status).send({ error: { code, message } });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: 'SALVE_ROUTE_NOT_FOUND',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      },
    }),
  );
}
