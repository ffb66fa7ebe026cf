import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.js';
import { consolePageRoutes } from './console-page.js';
import { healAlertRoutes } from './heal-alerts.js';
import { whoamiRoutes } from './whoami.js';

/** The operator console (GET /) and the reads it needs beyond the rest of the API. */
export function consoleRoutes(app: FastifyInstance, deps: AppDeps): void {
  consolePageRoutes(app, deps);
  whoamiRoutes(app, deps);
  healAlertRoutes(app, deps);
}
