import { afterEach, describe, expect, it } from 'vitest';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import type { RollbackParams } from '../../src/actions/k8s-rollback/params.js';
import type { ActionContext, TargetRef } from '../../src/actions/types.js';
import { ActionFailed } from '../../src/errors.js';
import { imageOf, type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import { hasKubectl, historyRows, kubectlInNamespace } from '../support/kubectl.js';

// The escalation chain "restart, then roll back" as an operator means it: the rollback brings back the release
// that ran before the incident, not the restart's copy of the failing release (kubectl's "previous").

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'fraud-scorer' };
const OLD = 'registry.example/fraud-scorer:1.4.0';
const BAD = 'registry.example/fraud-scorer:1.5.0';
const HOTFIX = 'registry.example/fraud-scorer:1.6.0';
const released = Date.parse('2026-11-27T02:00:00Z');
const alertStartedAt = '2026-11-27T03:00:00.000Z';

const harnesses: KubeActionHarness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** A cluster whose clock the test moves: creationTimestamps say when each release first ran. */
async function cluster() {
  const clock = { now: released };
  const h = await startKubeActionHarness({ now: () => clock.now });
  harnesses.push(h);
  const at = (iso: string) => {
    clock.now = Date.parse(iso);
  };
  return { h, at, kubectl: kubectlInNamespace(h.kubeconfig, ns) };
}

function seedScorer(h: KubeActionHarness) {
  h.sim.seed.deployment({
    namespace: ns,
    name: 'fraud-scorer',
    replicas: 3,
    revisions: [
      { image: OLD, annotations: { 'kubernetes.io/change-cause': 'release 1.4.0' } },
      { image: BAD, annotations: { 'kubernetes.io/change-cause': 'release 1.5.0' } },
    ],
  });
}

const incident = (h: KubeActionHarness, target: TargetRef, heal: Partial<ActionContext['heal']> = {}) =>
  h.context(target, { alertStartedAt, ...heal });

async function refusal(run: Promise<unknown>): Promise<ActionFailed> {
  try {
    await run;
  } catch (err) {
    if (err instanceof ActionFailed) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Deploys a new image as `kubectl set image` would (a new template, so a new revision), then settles. */
function deploy(h: KubeActionHarness, kind: string, name: string, image: string, cause?: string) {
  const object = h.workload(kind, ns, name);
  const spec = object.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  spec.template.spec.containers[0]!.image = image;
  if (cause)
    object.metadata.annotations = { ...object.metadata.annotations, 'kubernetes.io/change-cause': cause };
  h.sim.objects.put(object);
  h.sim.tick();
}

describe.skipIf(!hasKubectl)('k8s.rollback, last known good, against kubectl on the simulator', () => {
  it('after a restart, rolls back to the release from before the incident, and rollout history shows it', async () => {
    const { h, at, kubectl } = await cluster();
    seedScorer(h);
    at('2026-11-27T03:01:00Z');
    expect((await kubectl('rollout', 'restart', 'deployment/fraud-scorer')).code).toBe(0);
    h.sim.tick();
    expect(h.workload('Deployment', ns, 'fraud-scorer').metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
    });
    at('2026-11-27T03:06:00Z');
    const result = await k8sRollback.run(incident(h, scorer), {});
    expect(result.status).toBe('changed');
    expect(result.data).toMatchObject({
      fromRevision: 3,
      toRevision: 1,
      images: [OLD],
      skippedRestartsOnly: [2],
    });
    expect(result.detail).toContain(`to revision 1 (image ${OLD})`);
    expect(result.detail).toContain('passed over revision 2 (only restarts of the current release)');
    expect(result.detail).toContain(`before the alert began at ${alertStartedAt}`);
    h.sim.tick();
    expect(imageOf(h.workload('Deployment', ns, 'fraud-scorer'))).toBe(OLD);
    const history = await kubectl('rollout', 'history', 'deployment/fraud-scorer');
    expect(historyRows(history.stdout)).toEqual([
      ['2', 'release 1.5.0'],
      ['3', 'release 1.5.0'],
      ['4', 'release 1.4.0'],
    ]);
    const [event] = h.eventsAbout(ns, 'Deployment', 'fraud-scorer');
    expect(String(event?.note)).toContain(`to revision 1 (image ${OLD})`);
  });

  it("salve's own restart step is passed over the same way", async () => {
    const { h, at } = await cluster();
    seedScorer(h);
    at('2026-11-27T03:01:00Z');
    const restarted = await k8sRestart.run(incident(h, scorer, { step: 1 }), {});
    expect(restarted.status).toBe('changed');
    h.sim.tick();
    const result = await k8sRollback.run(incident(h, scorer, { step: 2 }), {});
    expect(result.data).toMatchObject({ fromRevision: 3, toRevision: 1, images: [OLD] });
    h.sim.tick();
    expect(imageOf(h.workload('Deployment', ns, 'fraud-scorer'))).toBe(OLD);
    const again = await k8sRollback.run(incident(h, scorer, { step: 2, attempt: 2 }), {});
    expect(again.status).toBe('unchanged');
  });

  it('mode previous keeps kubectl rollout undo exactly: the restart copy of the failing release', async () => {
    const ours = await cluster();
    const theirs = await cluster();
    for (const { h, at, kubectl } of [ours, theirs]) {
      seedScorer(h);
      at('2026-11-27T03:01:00Z');
      await kubectl('rollout', 'restart', 'deployment/fraud-scorer');
      h.sim.tick();
    }
    const result = await k8sRollback.run(incident(ours.h, scorer), { mode: 'previous' });
    expect(result.data).toMatchObject({ fromRevision: 3, toRevision: 2, images: [BAD] });
    expect((await theirs.kubectl('rollout', 'undo', 'deployment/fraud-scorer')).code).toBe(0);
    for (const { h } of [ours, theirs]) h.sim.tick();
    expect(imageOf(ours.h.workload('Deployment', ns, 'fraud-scorer'))).toBe(BAD);
    const rows = async (c: typeof ours) =>
      historyRows((await c.kubectl('rollout', 'history', 'deployment/fraud-scorer')).stdout);
    expect(await rows(ours)).toEqual(await rows(theirs));
  });

  it('never picks a release created after the alert began, unless includeAfterAlertStart says so', async () => {
    const { h, at, kubectl } = await cluster();
    seedScorer(h);
    at('2026-11-27T03:05:00Z');
    deploy(h, 'Deployment', 'fraud-scorer', HOTFIX, 'hotfix 1.6.0');
    at('2026-11-27T03:10:00Z');
    expect((await kubectl('rollout', 'undo', 'deployment/fraud-scorer', '--to-revision=2')).code).toBe(0);
    h.sim.tick();
    // Now: 1.5.0 again (revision 4); 1.6.0 (revision 3) only ever ran after the alert began.
    const planned = await k8sRollback.preview!(incident(h, scorer), {});
    expect(planned).toContain(`to revision 1 (image ${OLD})`);
    expect(planned).toContain('passed over revision 3 (created after the alert began)');
    const allowed = await k8sRollback.preview!(incident(h, scorer), { includeAfterAlertStart: true });
    expect(allowed).toContain(`to revision 3 (image ${HOTFIX})`);
    const result = await k8sRollback.run(incident(h, scorer), {});
    expect(result.data).toMatchObject({ toRevision: 1, skippedAfterAlertStart: [3] });
  });

  it('refuses, with the reason, when every earlier revision is a restart or came after the alert', async () => {
    const { h, at, kubectl } = await cluster();
    h.sim.seed.deployment({ namespace: ns, name: 'fraud-scorer', replicas: 1, revisions: [{ image: BAD }] });
    at('2026-11-27T03:01:00Z');
    await kubectl('rollout', 'restart', 'deployment/fraud-scorer');
    h.sim.tick();
    const onlyRestarts = await refusal(k8sRollback.run(incident(h, scorer), {}));
    expect(onlyRestarts).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(onlyRestarts.message).toBe(
      'no earlier revision of Deployment ml-prod/fraud-scorer runs another release than the current one; revision 1 differs only by restarts',
    );
    at('2026-11-27T03:05:00Z');
    deploy(h, 'Deployment', 'fraud-scorer', HOTFIX);
    await kubectl('rollout', 'undo', 'deployment/fraud-scorer');
    h.sim.tick();
    const before = h.sim.mutations().length;
    const afterAlert = await refusal(k8sRollback.run(incident(h, scorer, { id: 'heal-0002' }), {}));
    expect(h.sim.mutations().length).toBe(before);
    expect(afterAlert.message).toContain(
      `revision 3 was created after the alert began at ${alertStartedAt} (set includeAfterAlertStart: true to consider them)`,
    );
  });

  it('a manual heal (no alert) takes the newest other release and says why', async () => {
    const { h, at, kubectl } = await cluster();
    seedScorer(h);
    at('2026-11-27T03:01:00Z');
    await kubectl('rollout', 'restart', 'deployment/fraud-scorer');
    h.sim.tick();
    const result = await k8sRollback.run(h.context(scorer), {});
    expect(result.data).toMatchObject({ toRevision: 1 });
    expect(result.detail).toContain('no alert start known (manual heal)');
  });

  for (const kind of ['StatefulSet', 'DaemonSet'] as const) {
    const target: TargetRef = { kind, namespace: ns, name: 'store' };
    const resource = kind.toLowerCase();

    it(`${kind}: restart then rollback lands on the release from before the incident; mode previous is kubectl's`, async () => {
      const { h, at, kubectl } = await cluster();
      const revisions = [{ image: 'store:1.4.0' }, { image: 'store:1.5.0' }];
      if (kind === 'StatefulSet')
        h.sim.seed.statefulSet({ namespace: ns, name: 'store', replicas: 2, revisions });
      else h.sim.seed.daemonSet({ namespace: ns, name: 'store', revisions });
      at('2026-11-27T03:01:00Z');
      expect((await kubectl('rollout', 'restart', `${resource}/store`)).code).toBe(0);
      h.sim.tick();
      const previous = await k8sRollback.preview!(incident(h, target), {
        mode: 'previous',
      } as RollbackParams);
      expect(previous).toContain('to revision 2 (image store:1.5.0)');
      const result = await k8sRollback.run(incident(h, target), {});
      expect(result.data).toMatchObject({ fromRevision: 3, toRevision: 1, images: ['store:1.4.0'] });
      h.sim.tick();
      expect(imageOf(h.workload(kind, ns, 'store'))).toBe('store:1.4.0');
      const history = historyRows((await kubectl('rollout', 'history', `${resource}/store`)).stdout);
      expect(history.map(([revision]) => revision)).toEqual(['2', '3', '4']);
    });
  }
});
