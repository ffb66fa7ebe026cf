import { afterEach, describe, expect, it } from 'vitest';
import { MAX_LOOKUPS_PER_EVALUATION } from '../../src/service/owner-resolution.js';
import type { KubeObject, OwnerReference } from '../support/kube-sim/index.js';
import { type OwnerHarness, startOwnerHarness } from '../support/owner-harness.js';
import { waitFor } from '../support/wait.js';

// Class 1 for `target.ownerOf`: an alert's `pod` and `namespace` labels are hostile, and so is anyone who can
// create a pod in an allowed namespace (they write its ownerReferences). Neither may choose what salve acts on:
// names are checked before any lookup, lookups stay in the allowed namespace, only the controller references
// Kubernetes itself writes are followed, and `allow` is checked on the resolved target.

const ns = 'ml-prod';

function uidOf(h: OwnerHarness, apiVersion: string, kind: string, namespace: string, name: string): string {
  const uid = h.sim.objects.get(apiVersion, kind, namespace, name)?.metadata.uid;
  if (uid === undefined) throw new Error(`no ${kind} ${namespace}/${name}`);
  return uid;
}

function pod(name: string, owner: Omit<OwnerReference, 'controller'>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      labels: { app: name },
      ownerReferences: [{ controller: true, ...owner }],
    },
    spec: { containers: [{ name: 'app', image: 'registry.example/x:1' }] },
  };
}

/** Waits until the cache has seen every named pod (they exist: a miss would be trusted as absent). */
async function cached(h: OwnerHarness, names: string[]): Promise<void> {
  await waitFor(
    'the owner-chain cache to see the pods',
    async () => names.map((name) => h.deps.owners.resolve({ kind: 'Pod', namespace: ns, name })),
    (walks) =>
      walks.every((w) => !(w.status === 'unresolved' && w.why === 'not_found') && w.status !== 'unknown'),
  );
}

describe('hostile alerts and objects cannot choose an owner', () => {
  let h: OwnerHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('labels that are not names, or point outside allow, are refused before anything is read', async () => {
    h = await startOwnerHarness();
    const reads = h.reads().length;
    const hostile = [
      '../../apis/apps/v1/namespaces/ml-prod/deployments/checkout',
      'checkout/scale',
      '..',
      'CHECKOUT-abc',
      'x?watch=true',
      'x%2F..%2Fy',
      `a${'b'.repeat(253)}`,
      'checkout\u2028abc',
    ];
    const answer = await h.crashLooping(hostile);
    expect(answer).toMatchObject({ refused: hostile.length, deferred: 0, heals: { opened: [] } });
    const outside = await h.crashLooping(['checkout-abc'], { namespace: 'kube-system' });
    const traversal = await h.crashLooping(['checkout-abc'], { namespace: '../ml-prod' });
    expect([outside.refused, traversal.refused]).toEqual([1, 1]);
    const outcomes = (await h.refusals()).map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'invalid_name')).toHaveLength(hostile.length + 1);
    expect(outcomes.filter((o) => o === 'not_allowed')).toHaveLength(1);
    expect(h.reads().length).toBe(reads);
    expect(h.sim.requests.filter((r) => /kube-system|\.\./.test(r.path))).toEqual([]);
  });

  it('a pod naming a Deployment, a look-alike kind, another namespace or a loop as its controller heals nothing', async () => {
    h = await startOwnerHarness();
    const fraudScorer = uidOf(h, 'apps/v1', 'Deployment', ns, 'fraud-scorer');
    const otherRs = h.sim.objects
      .list('apps/v1', 'ReplicaSet', 'other')
      .find((r) => r.metadata.ownerReferences?.[0]?.name === 'checkout') as KubeObject;
    h.sim.objects.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'loop-a',
        namespace: ns,
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'loop-b', uid: 'uid-b', controller: true },
        ],
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'loop' } },
        template: { metadata: { labels: { app: 'loop' } }, spec: { containers: [] } },
      },
    } as KubeObject);
    const pods = [
      // Only a ReplicaSet, StatefulSet, DaemonSet or Job controls a pod: a Deployment never does.
      pod('forged', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'fraud-scorer', uid: fraudScorer }),
      // Another group's "Deployment" is not a Deployment, even with the real one's name and uid.
      pod('lookalike', {
        apiVersion: 'evil.example/v1',
        kind: 'Deployment',
        name: 'fraud-scorer',
        uid: fraudScorer,
      }),
      // ownerReferences carry no namespace: a ReplicaSet of another namespace is looked for in this one.
      pod('elsewhere', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: otherRs.metadata.name ?? '',
        uid: otherRs.metadata.uid ?? '',
      }),
      pod('looped', {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'loop-a',
        uid: uidOf(h, 'apps/v1', 'ReplicaSet', ns, 'loop-a'),
      }),
    ];
    for (const p of pods) h.sim.objects.put(p);
    const names = pods.map((p) => p.metadata.name ?? '');
    await cached(h, names);
    const answer = await h.crashLooping(names);
    expect(answer).toMatchObject({ refused: 4, deferred: 0, heals: { opened: [], attached: [] } });
    const details = Object.fromEntries(
      (await h.refusals()).map((r) => [
        (r.data as { alertname: string; fingerprint: string }).fingerprint,
        [r.outcome, r.data.detail],
      ]),
    );
    expect(Object.values(details).sort()).toEqual(
      [
        [
          'target_unresolved',
          'Pod ml-prod/forged names Deployment ml-prod/fraud-scorer as its controller, which Kubernetes never does (a Pod is controlled by a ReplicaSet or StatefulSet or DaemonSet or Job): not followed',
        ],
        [
          'target_kind_mismatch',
          'Pod ml-prod/lookalike -> Deployment.evil.example ml-prod/fraud-scorer: the top controller is not a Deployment',
        ],
        [
          'target_unresolved',
          `Pod ml-prod/elsewhere is controlled by ReplicaSet ml-prod/${otherRs.metadata.name}, which no longer exists`,
        ],
        [
          'target_unresolved',
          'ReplicaSet ml-prod/loop-a names ReplicaSet ml-prod/loop-b as its controller, which Kubernetes never does (a ReplicaSet is controlled by a Deployment): not followed',
        ],
      ].sort(),
    );
    await h.run();
    expect(await h.deps.store.listHeals({ limit: 10 })).toEqual([]);
    expect(h.sim.requests.filter((r) => r.path.includes('/namespaces/other/'))).toEqual([]);
    expect((await h.deps.store.verifyAudit()).ok).toBe(true);
  });

  it('a delivery naming hundreds of pods costs no read while the cache is synced, and a bounded few while the API is down', async () => {
    h = await startOwnerHarness();
    const harness = h;
    const many = Array.from({ length: 300 }, (_, i) => `checkout-made-up-${i}`);
    let reads = harness.reads().length;
    const synced = await harness.crashLooping(many);
    expect(synced).toMatchObject({ refused: 300, deferred: 0 });
    expect(harness.reads().length).toBe(reads);

    harness.sim.faults.failNext({}, 503, Number.POSITIVE_INFINITY);
    harness.sim.closeWatches();
    await waitFor(
      'the Pod informer to fail',
      async () => harness.deps.owners.status(),
      (s) => s.informers.some((i) => i.kind === 'Pod' && i.failing !== undefined),
    );
    reads = harness.sim.requests.length;
    const down = await harness.crashLooping(many.map((name) => `${name}-x`));
    // Acknowledged and kept: every one is deferred, none lost.
    expect(down).toMatchObject({ refused: 0, deferred: 300, alerts: { new: 300 } });
    const byName = harness.sim.requests
      .slice(reads)
      .filter((r) => r.method === 'GET' && /\/pods\/checkout-made-up-/.test(r.path));
    expect(byName.length).toBeLessThanOrEqual(MAX_LOOKUPS_PER_EVALUATION);
    expect(await harness.deps.store.countDeferredMatches()).toBe(300);
  });
});
