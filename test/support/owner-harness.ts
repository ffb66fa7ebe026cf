import { expect } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit.js';
import { type EngineHarness, startEngineHarness } from './engine-harness.js';
import { payload } from './fixtures.js';
import type { KubeObject } from './kube-sim/index.js';
import { waitFor } from './wait.js';

// An engine harness whose policy resolves pod alerts to their Deployment (`target.ownerOf`), with workloads of
// every kind in ml-prod and a namespace the policy does not allow: what the owner-target tests share.

export const podPolicy = `apiVersion: salve/v1
policies:
  - name: pod-crashloop
    description: Restart the Deployment of crash-looping pods
    match:
      - alertname="KubePodCrashLooping"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      ownerOf: { kind: Pod, name: "{{ labels.pod }}" }
    allow: { namespaces: [ml-prod], names: [checkout, fraud-scorer, late] }
    steps:
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 10m }
    guards: { cooldown: 1h }
`;

export const startsAt = '2026-11-27T02:59:00.000Z';

export type OwnerHarness = EngineHarness & {
  /** Live pods of a workload, by its `app` label. */
  podsOf(namespace: string, app: string): string[];
  /** Delivers one KubePodCrashLooping alert per pod; the webhook's answer. */
  crashLooping(
    pods: string[],
    opts?: { namespace?: string; status?: 'firing' | 'resolved' },
  ): Promise<{
    heals: { opened: Array<{ id: string }>; attached: Array<{ id: string }> };
    refused: number;
    deferred: number;
    alerts: { new: number; deduplicated: number };
  }>;
  refusals(): Promise<AuditRecord[]>;
  /** Reads the API answered that were not list or watch requests of the cache. */
  reads(): Array<{ method: string; path: string }>;
};

export async function startOwnerHarness(overrides: Parameters<typeof startEngineHarness>[0] = {}) {
  const h = await startEngineHarness({
    policies: { 'pods.yaml': podPolicy },
    deployments: ['fraud-scorer', 'ledger'],
    ...overrides,
  });
  h.sim.seed.deployment({
    namespace: 'ml-prod',
    name: 'checkout',
    replicas: 3,
    revisions: [{ image: 'registry.example/checkout:2.4.0' }],
  });
  h.sim.seed.statefulSet({
    namespace: 'ml-prod',
    name: 'orders-db',
    replicas: 1,
    revisions: [{ image: 'registry.example/postgres:15.4' }],
  });
  h.sim.seed.namespace('other');
  h.sim.seed.deployment({
    namespace: 'other',
    name: 'checkout',
    replicas: 1,
    revisions: [{ image: 'registry.example/checkout:2.4.0' }],
  });
  h.sim.tick();
  const podsOf = (namespace: string, app: string) =>
    h.sim.objects
      .list('v1', 'Pod', namespace)
      .filter((p: KubeObject) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp)
      .map((p: KubeObject) => p.metadata.name ?? '');
  // The cache has listed and watched everything seeded: the last pods resolve in memory.
  await waitFor(
    'the owner-chain cache to know the seeded pods',
    async () =>
      podsOf('ml-prod', 'checkout').map((name) =>
        h.deps.owners.resolve({ kind: 'Pod', namespace: 'ml-prod', name }),
      ),
    (walks) => walks.length === 3 && walks.every((w) => w.status === 'resolved'),
  );
  const harness: OwnerHarness = {
    ...h,
    podsOf,
    async crashLooping(pods, opts = {}) {
      const res = await h.deliver(
        payload(
          pods.map((pod) => ({
            labels: {
              alertname: 'KubePodCrashLooping',
              namespace: opts.namespace ?? 'ml-prod',
              pod,
              container: 'app',
              severity: 'warning',
            },
            status: opts.status ?? 'firing',
            startsAt,
          })),
        ),
      );
      expect(res.statusCode, res.body).toBe(202);
      return res.json();
    },
    refusals: () => h.deps.store.queryAudit({ type: 'policy.refused', limit: 100 }),
    reads: () =>
      h.sim.requests
        .filter(
          (r) =>
            r.method === 'GET' &&
            r.query.watch === undefined &&
            !/\/(pods|replicasets|deployments|statefulsets|daemonsets|jobs|cronjobs|horizontalpodautoscalers)$/.test(
              r.path,
            ),
        )
        .map((r) => ({ method: r.method, path: r.path })),
  };
  return harness;
}
