import type { FastifyInstance } from 'fastify';
import { webhookPayloadSchema } from '../../alerts/schema.js';
import { formatMatcher } from '../../policy/matchers.js';
import { explainPayload } from '../../service/explain.js';
import type { PolicyList, PolicyView } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow } from '../validate.js';

export function policyRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/policies',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'The policy table in force, and the problems of the last reload',
        tags: ['policies'],
      },
    },
    async (): Promise<PolicyList> => {
      const table = deps.policies.current();
      return {
        ...deps.policies.status(),
        policies: table.policies.map(
          (p): PolicyView => ({
            name: p.name,
            description: p.description,
            file: p.source.file,
            match: p.match.map(formatMatcher),
            on: p.on,
            target: p.target,
            allow: p.allow,
            steps: p.steps,
            guards: p.guards,
            notify: p.notify,
          }),
        ),
      };
    },
  );

  app.post(
    '/v1/policies/test',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'What salve would do for an Alertmanager payload (nothing is recorded)',
        tags: ['policies'],
      },
    },
    async (request) => {
      const payload = parseOrThrow(webhookPayloadSchema, request.body, 'SALVE_WEBHOOK_INVALID');
      return explainPayload(payload, {
        table: deps.policies.current(),
        registry: deps.registry,
        store: deps.store,
        dryRun: deps.config.dryRun,
        preview: { ...deps.engineDeps, kube: deps.kube },
        owners: deps.owners,
        now: deps.clock.now(),
      });
    },
  );
}
