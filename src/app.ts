import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { isSalveError } from './errors.js';
import type { AppDeps } from './http/app-deps.js';
import { authHook } from './http/auth.js';
import { authFailureCodes, createAuthFailureReporter } from './http/auth-failures.js';
import { refuseCrossSiteWrites } from './http/cross-site.js';
import { registerErrorHandling } from './http/error-handler.js';
import { RequestLog } from './http/request-log.js';
import { actionRoutes } from './http/routes/actions.js';
import { alertRoutes } from './http/routes/alerts.js';
import { auditRoutes } from './http/routes/audit.js';
import { consoleRoutes } from './http/routes/console.js';
import { healCommandRoutes } from './http/routes/heal-commands.js';
import { healRoutes } from './http/routes/heals.js';
import { healthRoutes } from './http/routes/health.js';
import { pauseRoutes } from './http/routes/pause.js';
import { policyRoutes } from './http/routes/policies.js';
import { replayRoutes } from './http/routes/replay.js';
import { slackRoutes } from './http/routes/slack.js';
import { statsRoutes } from './http/routes/stats.js';
import { webhookRoutes } from './http/routes/webhook.js';
import { requireWellFormedText } from './http/well-formed.js';

export const BODY_LIMIT = 1024 * 1024;
const quietRoutes: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * A client that opens a socket and sends its headers or body a byte at a time must not hold it forever.
 * Alertmanager gives up on a webhook after about 10 s, so nothing legitimate needs longer.
 */
export const serverTimeouts = {
  /** Time to receive the request line and headers. */
  headersMs: 10_000,
  /** Time to receive the whole request, body included. */
  requestMs: 15_000,
  /** An idle keep-alive connection is closed after this; Alertmanager reuses connections group after group. */
  keepAliveMs: 75_000,
  /** How often Node looks for sockets past those deadlines. */
  checkEveryMs: 1_000,
} as const;

/** Routes only: no I/O at import time, no listening. The server (main.ts) and tests (inject) share it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    requestIdHeader: 'x-request-id',
    // One line per request, when it completes (http/request-log.ts).
    logController: new RequestLog(),
    keepAliveTimeout: serverTimeouts.keepAliveMs,
    requestTimeout: serverTimeouts.requestMs,
    http: {
      headersTimeout: serverTimeouts.headersMs,
      connectionsCheckingInterval: serverTimeouts.checkEveryMs,
    },
  });
  app.decorateRequest('principal', null);
  app.decorateRequest('logFacts', null);
  // Probes come every few seconds (kubelet, Prometheus): a line per probe would bury everything else.
  app.addHook('onRoute', (route) => {
    if (quietRoutes.has(route.url)) route.logLevel = 'warn';
  });
  // JSON only: a text body is a client mistake (415), not a payload to half-parse.
  app.removeContentTypeParser('text/plain');
  requireWellFormedText(app);
  // zod validates inside the handlers (with errors that name the field); JSON Schemas are for the docs only.
  app.setValidatorCompiler(() => () => true);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'salve',
        version: '0.1.0',
        description: 'Verified, auditable automatic remediation for Prometheus Alertmanager alerts.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          basic: { type: 'http', scheme: 'basic', description: 'any username, the token as password' },
        },
      },
      security: [{ bearer: [] }, { basic: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  registerErrorHandling(app);
  app.addHook('onRequest', refuseCrossSiteWrites);
  app.addHook('onRequest', authHook(deps.auth));
  const refused = createAuthFailureReporter({
    log: deps.log,
    metrics: deps.metrics,
    now: () => deps.clock.now().getTime(),
  });
  app.addHook('onError', async (request, _reply, error) => {
    if (isSalveError(error) && authFailureCodes.has(error.code)) {
      refused({ route: request.routeOptions.url ?? 'unknown', code: error.code, ip: request.ip });
    }
  });

  webhookRoutes(app, deps);
  healRoutes(app, deps);
  healCommandRoutes(app, deps);
  pauseRoutes(app, deps);
  auditRoutes(app, deps);
  policyRoutes(app, deps);
  alertRoutes(app, deps);
  statsRoutes(app, deps);
  replayRoutes(app, deps);
  actionRoutes(app, deps);
  healthRoutes(app, deps);
  slackRoutes(app, deps);
  consoleRoutes(app, deps);
  return app;
}
