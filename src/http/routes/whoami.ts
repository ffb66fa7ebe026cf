import type { FastifyInstance } from 'fastify';
import { scopes } from '../../config/tokens.js';
import type { WhoAmI } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';

/** Who the presented token is: the console signs in with it and shows only what its scopes allow. */
export function whoamiRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/whoami',
    {
      config: { scope: 'viewer' },
      schema: { summary: 'The name and scopes of the presented token', tags: ['auth'] },
    },
    async (request): Promise<WhoAmI> => {
      const principal = request.principal!;
      return {
        name: principal.name,
        scopes: scopes.filter((s) => principal.scopes.has(s)),
        open: deps.auth.open,
      };
    },
  );
}
