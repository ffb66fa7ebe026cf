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

/**
 * The owner-chain cache, for /readyz: never a reason to refuse traffic (alerts are acknowledged and kept whatever
 * it says), but what it says decides whether ownerOf targets resolve in memory, by reads, or later.
 */
function ownersCheck(deps: AppDeps, warnings: string[]): string {
  const status = deps.owners.status();
  if (status.informers.length === 0) {
    const used = [...deps.policies.current().index.byName.values()].some((c) => c.ownerOf !== null);
    if (!used) return 'not used (no policy has ownerOf)';
    if (!deps.kube.configured) {
      warnings.push('policies use ownerOf but no Kubernetes cluster is configured: their alerts are refused');
      return 'no cluster';
    }
    return 'not watching';
  }
  const objects = status.informers.reduce((n, i) => n + i.objects, 0);
  const namespaces = new Set(status.informers.map((i) => i.namespace)).size;
  for (const i of status.informers.filter((x) => x.failing !== undefined)) {
    warnings.push(
      `the owner cache cannot list or watch ${i.kind}s in ${i.namespace} (${i.failing}): it answers from what it holds, reads by name what it lacks`,
    );
  }
  if (!status.synced) {
    const listed = status.informers.filter((i) => i.synced).length;
    warnings.push(
      'the owner cache has not listed everything yet: ownerOf targets are read by name meanwhile',
    );
    return `syncing (${listed} of ${status.informers.length} informers listed)`;
  }
  return `synced (${objects} objects, ${status.informers.length} informers in ${namespaces} namespaces)`;
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
      const [store, paused, deferred] = await Promise.all([
        deps.storeHealth.readiness(),
        atMost<boolean | 'unknown'>(isPaused(deps), 900, 'unknown'),
        atMost(deps.store.countDeferredMatches(), 900, null),
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
      checks.owners = ownersCheck(deps, warnings);
      if (deferred !== null && deferred > 0) {
        checks.deferred = `${deferred} alert(s) wait for their ownerOf target to resolve`;
      }
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
      const [open, pending, paused, deferred] = await Promise.all([
        atMost(deps.store.countOpenHeals(), 1_000, null),
        atMost(deps.store.countPendingOutbox(), 1_000, null),
        atMost(isPaused(deps), 1_000, undefined),
        atMost(deps.store.countDeferredMatches(), 1_000, null),
      ]);
      if (open !== null) {
        for (const [state, n] of Object.entries(open)) deps.metrics.openHeals.set({ state }, n);
      }
      if (pending !== null) deps.metrics.notificationsPending.set(pending);
      if (paused !== undefined) deps.metrics.paused.set(paused ? 1 : 0);
      if (deferred !== null) deps.metrics.deferredMatches.set(deferred);
      const owners = deps.owners.status();
      deps.metrics.ownerCacheSynced.set(owners.synced ? 1 : 0);
      const byKind = new Map<string, number>();
      for (const i of owners.informers) byKind.set(i.kind, (byKind.get(i.kind) ?? 0) + i.objects);
      deps.metrics.ownerCacheObjects.reset();
      for (const [kind, n] of byKind) deps.metrics.ownerCacheObjects.set({ kind }, n);
      deps.metrics.policiesLoaded.set(deps.policies.current().policies.length);
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );
}
