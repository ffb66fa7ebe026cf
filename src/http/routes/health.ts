import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { pauseKey } from '../../engine/context.js';

export function healthRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: store reachable, policies loaded', tags: ['health'] } },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      const warnings: string[] = [];
      let ready = true;
      try {
        await deps.store.ping();
        checks.store = 'ok';
      } catch {
        checks.store = 'unreachable';
        ready = false;
      }
      const policies = deps.policies.status();
      checks.policies = policies.ok
        ? `ok (${policies.policies} loaded)`
        : `last reload failed; ${policies.policies} in force`;
      if (!policies.ok) warnings.push('the last policy reload failed; the previous table is still in force');
      if (deps.auth.open) {
        checks.auth = 'disabled';
        warnings.push(
          'authentication is disabled (--insecure-no-auth): anyone who can reach salve can act through it',
        );
      } else {
        checks.auth = 'ok';
      }
      checks.kubernetes = deps.kube.description;
      if (!deps.kube.configured)
        warnings.push('no Kubernetes cluster is configured: Kubernetes steps will fail');
      const paused = await deps.store.getSetting(pauseKey).catch(() => null);
      checks.paused = paused ? 'paused: nothing is acted on' : 'no';
      if (paused) warnings.push('salve is paused (PUT /v1/pause): alerts are recorded, nothing is acted on');
      const unrouted = deps.dispatcher.unknownNotifiers();
      for (const u of unrouted) {
        warnings.push(
          `policy ${u.policy} notifies "${u.notifier}", which is not configured: those notifications are dropped`,
        );
      }
      if (deps.config.dryRun) warnings.push('global dry-run: nothing outside salve is changed');
      warnings.push(...deps.warnings);
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'not ready', checks, warnings });
    },
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['health'] } },
    async (_req, reply) => {
      deps.metrics.openHeals.set(await deps.store.countOpenHeals());
      deps.metrics.paused.set((await deps.store.getSetting(pauseKey)) ? 1 : 0);
      deps.metrics.policiesLoaded.set(deps.policies.current().policies.length);
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );
}
