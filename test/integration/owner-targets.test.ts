import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { payload } from '../support/fixtures.js';
import { type OwnerHarness, startOwnerHarness, startsAt } from '../support/owner-harness.js';
import { runCli } from '../support/run-cli.js';
import { waitFor } from '../support/wait.js';

// `target.ownerOf` through the real webhook, owner-chain cache (client-node informers) and engine against the
// simulator: pod alerts heal the Deployment that owns the pods, one heal per Deployment, resolved in memory; what
// does not resolve to an allowed Deployment is refused and audited; with the API down, alerts are acknowledged,
// kept, and matched once it answers again.

const restartedAt = (h: OwnerHarness, namespace: string, name: string) =>
  (
    h.sim.objects.get('apps/v1', 'Deployment', namespace, name)!.spec as {
      template: { metadata?: { annotations?: Record<string, string> } };
    }
  ).template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];

describe('ownerOf targets at the webhook', () => {
  let h: OwnerHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('three crash-looping pods of one Deployment: three alerts, one heal, one action, resolved in memory', async () => {
    h = await startOwnerHarness();
    const pods = h.podsOf('ml-prod', 'checkout');
    expect(pods).toHaveLength(3);
    const readsBefore = h.reads().length;
    // Alertmanager sends them as they start firing: one, then the two others with it.
    const first = await h.crashLooping(pods.slice(0, 1));
    const rest = await h.crashLooping(pods);
    expect(first.heals.opened).toHaveLength(1);
    expect(rest).toMatchObject({ alerts: { new: 2, deduplicated: 1 }, refused: 0, deferred: 0 });
    // Both attach to it (the answer names each heal once).
    expect(rest.heals.attached.map((a) => a.id)).toEqual([first.heals.opened[0]!.id]);
    // Nothing was read by name: the watched cache knew every pod.
    expect(h.reads().length).toBe(readsBefore);
    await h.run();
    const id = first.heals.opened[0]!.id;
    const heal = await h.heal(id);
    expect(heal.targetKey).toBe('Deployment/ml-prod/checkout');
    expect((await h.deps.store.healAlerts(id)).map((a) => a.alertname)).toEqual(
      Array(3).fill('KubePodCrashLooping'),
    );
    const started = (await h.deps.store.queryAudit({ type: 'action.started', limit: 10 })).map((r) => [
      r.healId,
      r.target,
      r.data.action,
    ]);
    expect(started).toEqual([[id, 'Deployment/ml-prod/checkout', 'k8s.restart']]);
    expect(restartedAt(h, 'ml-prod', 'checkout')).toBeDefined();
    expect(restartedAt(h, 'other', 'checkout')).toBeUndefined();
    // The timeline says how the target was found.
    const opened = (await h.deps.store.queryAudit({ healId: id, type: 'heal.opened', limit: 1 }))[0];
    const rs = pods[0]!.replace(/-[a-z0-9]+$/, '');
    expect(opened?.data.resolution).toMatchObject({
      subject: { kind: 'Pod', namespace: 'ml-prod', name: pods[0] },
      chain: [
        { kind: 'Pod', name: pods[0] },
        { kind: 'ReplicaSet', name: rs },
        { kind: 'Deployment', name: 'checkout' },
      ],
    });
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/salve_owner_resolutions_total\{outcome="cache"\} 3/);
  });

  it('an unknown pod, a StatefulSet pod, a Deployment outside allow.names and a namespace outside allow: refused and audited', async () => {
    h = await startOwnerHarness();
    const before = h.sim.mutations().length;
    const ledgerPod = h.podsOf('ml-prod', 'ledger')[0]!;
    const dbPod = h.podsOf('ml-prod', 'orders-db')[0]!;
    const otherPod = h.podsOf('other', 'checkout')[0]!;
    const answer = await h.crashLooping(['checkout-gone-abcde', dbPod, ledgerPod]);
    const outside = await h.crashLooping([otherPod], { namespace: 'other' });
    expect(answer).toMatchObject({ refused: 3, deferred: 0, heals: { opened: [], attached: [] } });
    expect(outside.refused).toBe(1);
    await h.run();
    const refusals = (await h.refusals()).map((r) => [r.outcome, r.data.detail]);
    expect(refusals).toEqual(
      expect.arrayContaining([
        ['target_unresolved', 'Pod ml-prod/checkout-gone-abcde does not exist'],
        [
          'target_kind_mismatch',
          `Pod ml-prod/${dbPod} -> StatefulSet ml-prod/orders-db: the top controller is not a Deployment`,
        ],
        ['not_allowed', expect.stringContaining('"ledger"')],
        ['not_allowed', 'target.namespace "other" is not in allow.namespaces (ml-prod)'],
      ]),
    );
    expect(refusals).toHaveLength(4);
    expect(await h.deps.store.listHeals({ limit: 10 })).toEqual([]);
    expect(h.sim.mutations().length).toBe(before);
    // salve never looked into the namespace the policy does not allow.
    expect(h.sim.requests.filter((r) => r.path.includes('/namespaces/other/'))).toEqual([]);
  });

  it('POST /v1/policies/test and explain show the chain from the pod to the Deployment', async () => {
    h = await startOwnerHarness();
    const pod = h.podsOf('ml-prod', 'checkout')[0]!;
    const body = payload([
      { labels: { alertname: 'KubePodCrashLooping', namespace: 'ml-prod', pod }, startsAt },
    ]);
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/policies/test',
      headers: h.auth('viewer'),
      payload: body,
    });
    expect(res.statusCode).toBe(200);
    const outcome = res.json().alerts[0].outcomes[0];
    expect(outcome).toMatchObject({ decision: 'open', target: 'Deployment/ml-prod/checkout' });
    const chain = `Pod ml-prod/${pod} -> ReplicaSet ml-prod/${pod.replace(/-[a-z0-9]+$/, '')} -> Deployment ml-prod/checkout`;
    expect(outcome.resolution.text).toBe(chain);

    // salve test reads the pod and its owners by name, through a client that cannot write.
    const file = path.join(h.dir, 'pod-alert.json');
    fs.writeFileSync(file, JSON.stringify(body));
    const mutations = h.sim.mutations().length;
    const cli = await runCli(['test', '--policies', h.policiesDir, file], {
      SALVE_KUBECONFIG: h.sim.writeKubeconfig(h.dir),
      HOME: h.dir,
    });
    expect(cli.stdout).toContain('policy pod-crashloop: open a heal on Deployment/ml-prod/checkout');
    expect(cli.stdout).toContain(`resolved: ${chain}`);
    expect(cli.stdout).toContain('target.name=checkout (in allow.names)');
    expect(h.sim.mutations().length).toBe(mutations);
    // Without a cluster it cannot tell which Deployment, and says so.
    const blind = await runCli(['test', '--policies', h.policiesDir, file], { HOME: h.dir });
    expect(blind.stdout).toContain(
      `policy pod-crashloop: would act on the controller of Pod ml-prod/${pod}; cannot tell which: no Kubernetes cluster to resolve the owner chain with`,
    );
    // Two CLI processes, each starting tsx: slow on a busy machine.
  }, 120_000);

  it('a heal opened by hand names the pod: it acts on its Deployment, and an unknown pod is refused', async () => {
    h = await startOwnerHarness();
    const pod = h.podsOf('ml-prod', 'checkout')[0]!;
    const open = (labels: Record<string, string>) =>
      h!.app.inject({
        method: 'POST',
        url: '/v1/heals',
        headers: h!.auth('operator'),
        payload: { policy: 'pod-crashloop', labels, reason: 'pod keeps crashing; restarting by hand' },
      });
    const res = await open({ namespace: 'ml-prod', pod });
    expect(res.statusCode).toBe(201);
    expect(res.json().heal).toMatchObject({ targetKey: 'Deployment/ml-prod/checkout' });
    const unknown = await open({ namespace: 'ml-prod', pod: 'checkout-gone-abcde' });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.body).toContain('Pod ml-prod/checkout-gone-abcde does not exist');
  });

  it('with the API down: the alert is acknowledged and kept, then matched once when the API answers', async () => {
    h = await startOwnerHarness({ overrides: { deferredMatches: { pollMs: 20, retryMinMs: 1_000 } } });
    const harness = h;
    harness.sim.faults.failNext({}, 503, Number.POSITIVE_INFINITY);
    harness.sim.closeWatches();
    await waitFor(
      'the Pod informer to fail',
      async () => harness.deps.owners.status(),
      (s) => s.informers.some((i) => i.kind === 'Pod' && i.failing !== undefined),
    );
    // A Deployment rolled out while salve could not watch: its pods are unknown to the cache.
    harness.sim.seed.deployment({
      namespace: 'ml-prod',
      name: 'late',
      replicas: 1,
      revisions: [{ image: 'registry.example/late:1.0.0' }],
    });
    const pod = harness.podsOf('ml-prod', 'late')[0]!;
    const first = await harness.crashLooping([pod]);
    expect(first).toMatchObject({ deferred: 1, refused: 0, heals: { opened: [], attached: [] } });
    // Alertmanager re-sends the group: the alert is known, nothing more is kept.
    expect(await harness.crashLooping([pod])).toMatchObject({ alerts: { new: 0, deduplicated: 1 } });
    expect(await harness.deps.store.countDeferredMatches()).toBe(1);
    const deferred = await harness.deps.store.queryAudit({ type: 'policy.deferred', limit: 10 });
    expect(deferred).toHaveLength(1);
    expect(deferred[0]?.data).toMatchObject({ subject: { kind: 'Pod', namespace: 'ml-prod', name: pod } });
    expect(String(deferred[0]?.data.detail)).toMatch(/did not answer/);
    // Ready all the same (alerts are kept), and saying why ownerOf targets wait.
    const readyz = await harness.app.inject({ method: 'GET', url: '/readyz' });
    expect(readyz.statusCode).toBe(200);
    expect(readyz.json().checks.deferred).toBe('1 alert(s) wait for their ownerOf target to resolve');
    expect(readyz.json().warnings).toContainEqual(
      expect.stringMatching(/^the owner cache cannot list or watch Pods in ml-prod \(.*503/),
    );
    const down = (await harness.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(down).toMatch(/^salve_deferred_matches 1$/m);
    expect(down).toMatch(/^salve_owner_resolutions_total\{outcome="deferred"\} 1$/m);
    expect(down).toMatch(/^salve_owner_cache_watch_failures_total\{kind="Pod"\} [1-9]/m);

    // Still down: the retry loop tries, fails, and keeps it.
    harness.deps.deferredMatches.start();
    harness.deps.deferredMatches.poke();
    await waitFor(
      'a failed retry',
      async () => (await harness.deps.store.dueDeferredMatches('9999-01-01T00:00:00.000Z', 10))[0]?.attempts,
      (attempts) => attempts !== undefined && attempts >= 1,
    );
    expect(await harness.deps.store.listHeals({ limit: 10 })).toEqual([]);

    harness.sim.faults.clear();
    await harness.clock.advance(60_000);
    harness.deps.deferredMatches.poke();
    const [heal] = await waitFor(
      'the deferred match to open its heal',
      () => harness.deps.store.listHeals({ limit: 10 }),
      (heals) => heals.length === 1,
    );
    expect(heal).toMatchObject({ targetKey: 'Deployment/ml-prod/late', policy: 'pod-crashloop' });
    expect(await harness.deps.store.countDeferredMatches()).toBe(0);
    await waitFor(
      'the cache to list again',
      async () => (await harness.app.inject({ method: 'GET', url: '/readyz' })).json(),
      (r) =>
        /^synced \(\d+ objects, \d+ informers in 1 namespaces\)$/.test(r.checks.owners) &&
        r.checks.deferred === undefined,
    );
    expect((await harness.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(
      /^salve_owner_cache_synced 1$/m,
    );
    await harness.run();
    const started = await harness.deps.store.queryAudit({ type: 'action.started', limit: 10 });
    expect(started.map((r) => r.target)).toEqual(['Deployment/ml-prod/late']);
    expect(restartedAt(harness, 'ml-prod', 'late')).toBeDefined();
    expect((await harness.deps.store.verifyAudit()).ok).toBe(true);
  });

  it('with the API down: an alert that resolves before its target can be found is dropped, never acted on', async () => {
    h = await startOwnerHarness({ overrides: { deferredMatches: { pollMs: 20 } } });
    const harness = h;
    harness.sim.faults.failNext({}, 503, Number.POSITIVE_INFINITY);
    harness.sim.closeWatches();
    await waitFor(
      'the Pod informer to fail',
      async () => harness.deps.owners.status(),
      (s) => s.informers.some((i) => i.kind === 'Pod' && i.failing !== undefined),
    );
    harness.sim.seed.deployment({
      namespace: 'ml-prod',
      name: 'late',
      replicas: 1,
      revisions: [{ image: 'registry.example/late:1.0.0' }],
    });
    const pod = harness.podsOf('ml-prod', 'late')[0]!;
    expect((await harness.crashLooping([pod])).deferred).toBe(1);
    await harness.crashLooping([pod], { status: 'resolved' });
    harness.sim.faults.clear();
    harness.deps.deferredMatches.start();
    const [dropped] = await waitFor(
      'the deferred match to be dropped',
      () => harness.deps.store.queryAudit({ type: 'policy.deferred_dropped', limit: 10 }),
      (records) => records.length === 1,
    );
    expect(dropped).toMatchObject({ outcome: 'alert_resolved', policy: 'pod-crashloop' });
    expect(await harness.deps.store.listHeals({ limit: 10 })).toEqual([]);
    expect(await harness.deps.store.countDeferredMatches()).toBe(0);
  });
});
