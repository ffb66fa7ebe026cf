import type { FastifyInstance } from 'fastify';
import { pauseState } from '../../service/pause.js';
import type { AppDeps } from '../app-deps.js';

/** A store read that must not hold a health answer: past `ms`, the fallback stands in for it. */
async function atMost<T>(read: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([read.catch(() => fallback), late]);
  } finally {
    clearTimeout(timer);
  }
}

const isPaused = async (deps: AppDeps) => (await pauseState(deps)).paused;

export function healthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store commits (a write probe), policies loaded; answers within a second',
        tags: ['health'],
      },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      const warnings: string[] = [];
      // Not a ping: a read-only or full disk, a deleted SQLite file or a read-only PostgreSQL still read.
      const [store, paused] = await Promise.all([
        deps.storeHealth.readiness(),
        atMost<boolean | 'unknown'>(isPaused(deps), 900, 'unknown'),
      ]);
      checks.store = store.detail;
      const ready = store.ok;
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
      checks.paused =
        paused === 'unknown'
          ? 'unknown (the store did not answer)'
          : paused
            ? 'paused: nothing is acted on'
            : 'no';
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
      // During a store outage the gauges keep their last values rather than hold the scrape. These are the
      // store's, so every replica reports the same figures: aggregate them with max, not sum.
      const [open, pending, paused] = await Promise.all([
        atMost(deps.store.countOpenHeals(), 1_000, null),
        atMost(deps.store.countPendingOutbox(), 1_000, null),
        atMost(isPaused(deps), 1_000, undefined),
      ]);
      if (open !== null) {
        for (const [state, n] of Object.entries(open)) deps.metrics.openHeals.set({ state }, n);
      }
      if (pending !== null) deps.metrics.notificationsPending.set(pending);
      if (paused !== undefined) deps.metrics.paused.set(paused ? 1 : 0);
      deps.metrics.policiesLoaded.set(deps.policies.current().policies.length);
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );
}
