import type { FastifyInstance } from 'fastify';
import { describeAction } from '../../actions/describe.js';
import type { AppDeps } from '../app-deps.js';

export function actionRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/actions',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'The action registry: parameters (JSON Schema), example, RBAC needed',
        tags: ['policies'],
      },
    },
    async () => ({ actions: [...deps.registry.values()].map(describeAction) }),
  );
}
