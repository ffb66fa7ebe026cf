import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import { ActionFailed } from '../../src/errors.js';
import { imageOf, type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import type { KubeObject } from '../support/kube-sim/index.js';

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };
const previous = { mode: 'previous' } as const;
const revision = (object: { metadata: { annotations?: Record<string, string> } }) =>
  object.metadata.annotations?.['deployment.kubernetes.io/revision'];

async function failure(run: Promise<unknown>): Promise<ActionFailed> {
  try {
    await run;
  } catch (err) {
    if (err instanceof ActionFailed) return err;
    throw err;
  }
  throw new Error('expected the action to fail');
}

describe('k8s.rollback of a Deployment, mode previous (kubectl rollout undo)', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
  });
  afterEach(() => h.close());

  const seed = (images: string[], extra: { paused?: boolean } = {}) =>
    h.sim.seed.deployment({
      namespace: ns,
      name: 'scorer',
      replicas: 2,
      revisions: images.map((image) => ({ image })),
      ...extra,
    });

  it('rolls back to the previous revision with one JSON Patch, and the controller makes it revision max+1', async () => {
    seed(['scorer:1', 'scorer:2', 'scorer:3']);
    const before = h.sim.mutations().length;
    const result = await k8sRollback.run(h.context(scorer), previous);
    expect(result).toMatchObject({
      status: 'changed',
      detail:
        'rolled back Deployment ml-prod/scorer from revision 3 to revision 2 (image scorer:2): mode previous: the revision before the newest, as kubectl rollout undo picks it',
      data: { fromRevision: 3, toRevision: 2 },
    });
    const patches = h.sim
      .mutations()
      .slice(before)
      .filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(1);
    expect(patches[0]?.contentType).toBe('application/json-patch+json');
    expect(
      ((patches[0]?.body ?? []) as { op: string; path: string }[]).map((op) => [op.op, op.path]),
    ).toEqual([
      ['replace', '/spec/template'],
      ['replace', '/metadata/annotations'],
    ]);
    h.sim.tick();
    const deployment = h.workload('Deployment', ns, 'scorer');
    expect(imageOf(deployment)).toBe('scorer:2');
    expect(revision(deployment)).toBe('4');
    const replicaSets = h.sim.objects.list('apps/v1', 'ReplicaSet', ns);
    const reused = replicaSets.find((rs) => imageOf(rs) === 'scorer:2');
    expect(revision(reused ?? { metadata: {} })).toBe('4');
    expect(reused?.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('2');
  });

  it('rolls back to a given revision', async () => {
    seed(['scorer:1', 'scorer:2', 'scorer:3']);
    const result = await k8sRollback.run(h.context(scorer), { toRevision: 1 });
    expect(result.data).toMatchObject({ fromRevision: 3, toRevision: 1 });
    expect(imageOf(h.workload('Deployment', ns, 'scorer'))).toBe('scorer:1');
  });

  it('rollback twice flips back to the newer template, as the real controller does', async () => {
    seed(['scorer:1', 'scorer:2']);
    await k8sRollback.run(h.context(scorer, { step: 1 }), previous);
    h.sim.tick();
    expect(imageOf(h.workload('Deployment', ns, 'scorer'))).toBe('scorer:1');
    const second = await k8sRollback.run(h.context(scorer, { id: 'heal-0002', step: 1 }), previous);
    expect(second).toMatchObject({ status: 'changed', data: { fromRevision: 3, toRevision: 2 } });
    h.sim.tick();
    const deployment = h.workload('Deployment', ns, 'scorer');
    expect(imageOf(deployment)).toBe('scorer:2');
    expect(revision(deployment)).toBe('4');
  });

  it('returns unchanged for a retry of the same heal step instead of flipping back', async () => {
    seed(['scorer:1', 'scorer:2']);
    await k8sRollback.run(h.context(scorer), previous);
    h.sim.tick();
    const retry = await k8sRollback.run(h.context(scorer, { attempt: 2 }), previous);
    expect(retry.status).toBe('unchanged');
    expect(retry.detail).toContain('already rolled back by this heal step');
    expect(imageOf(h.workload('Deployment', ns, 'scorer'))).toBe('scorer:1');
  });

  it('skips when the current template already matches the revision', async () => {
    seed(['scorer:1', 'scorer:2']);
    const before = h.sim.mutations().length;
    const result = await k8sRollback.run(h.context(scorer), { toRevision: 2 });
    expect(result).toEqual({
      status: 'unchanged',
      detail: 'skipped rollback of Deployment ml-prod/scorer (current template already matches revision 2)',
      data: { revision: 2 },
    });
    expect(h.sim.mutations().length).toBe(before);
  });

  it('refuses a paused Deployment, not retryable', async () => {
    seed(['scorer:1', 'scorer:2'], { paused: true });
    const err = await failure(k8sRollback.run(h.context(scorer), previous));
    expect(err).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(err.message).toContain('you cannot rollback a paused deployment');
  });

  it('refuses "no rollout history found" for a Deployment with one revision', async () => {
    seed(['scorer:1']);
    const err = await failure(k8sRollback.run(h.context(scorer), previous));
    expect(err).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(err.message).toBe('no rollout history found for deployment "scorer"');
  });

  it('refuses a revision that is not in history', async () => {
    seed(['scorer:1', 'scorer:2']);
    const err = await failure(k8sRollback.run(h.context(scorer), { toRevision: 9 }));
    expect(err.message).toBe('unable to find specified revision 9 in history');
  });

  it('ignores ReplicaSets that match the selector but belong to another controller', async () => {
    seed(['scorer:1', 'scorer:2']);
    h.sim.objects.put({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'impostor',
        namespace: ns,
        labels: { app: 'scorer' },
        annotations: { 'deployment.kubernetes.io/revision': '7' },
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'scorer' } },
        template: {
          metadata: { labels: { app: 'scorer' } },
          spec: { containers: [{ name: 'scorer', image: 'evil:1' }] },
        },
      },
    });
    const result = await k8sRollback.run(h.context(scorer), previous);
    expect(result.data).toMatchObject({ toRevision: 1 });
    expect(imageOf(h.workload('Deployment', ns, 'scorer'))).toBe('scorer:1');
  });

  it('records a RolloutUndo Event on the Deployment', async () => {
    seed(['scorer:1', 'scorer:2']);
    await k8sRollback.run(h.context(scorer), previous);
    const deployment = h.workload('Deployment', ns, 'scorer');
    const events = h.eventsAbout(ns, 'Deployment', 'scorer');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Normal',
      action: 'RolloutUndo',
      reportingController: 'salve.dev/salve',
      regarding: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'scorer',
        namespace: ns,
        uid: deployment.metadata.uid,
      },
    });
    expect(events[0]?.metadata.name).toMatch(/^scorer\.[0-9a-f]+$/);
    expect(String(events[0]?.eventTime)).toMatch(/\.\d{6}Z$/);
    expect(String(events[0]?.note)).toContain('heal-0001');
  });
});

describe('k8s.rollback of a StatefulSet and a DaemonSet, mode previous (ControllerRevisions)', () => {
  let h: KubeActionHarness;
  beforeEach(async () => {
    h = await startKubeActionHarness();
  });
  afterEach(() => h.close());

  for (const kind of ['StatefulSet', 'DaemonSet'] as const) {
    const target: TargetRef = { kind, namespace: ns, name: 'store' };
    const seed = (images: string[]) => {
      const revisions = images.map((image) => ({ image }));
      if (kind === 'StatefulSet')
        h.sim.seed.statefulSet({ namespace: ns, name: 'store', replicas: 2, revisions });
      else h.sim.seed.daemonSet({ namespace: ns, name: 'store', revisions });
    };

    it(`rolls a ${kind} back to the previous revision with a strategic merge patch of the revision data`, async () => {
      seed(['store:1', 'store:2', 'store:3']);
      const before = h.sim.mutations().length;
      const result = await k8sRollback.run(h.context(target), previous);
      expect(result).toMatchObject({ status: 'changed', data: { fromRevision: 3, toRevision: 2 } });
      const patch = h.sim
        .mutations()
        .slice(before)
        .find((r) => r.method === 'PATCH');
      expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
      expect(imageOf(h.workload(kind, ns, 'store'))).toBe('store:2');
      expect(h.eventsAbout(ns, kind, 'store')).toHaveLength(1);
    });

    it(`rolls a ${kind} back to a given revision and skips when it already matches`, async () => {
      seed(['store:1', 'store:2']);
      await k8sRollback.run(h.context(target), { toRevision: 1 });
      expect(imageOf(h.workload(kind, ns, 'store'))).toBe('store:1');
      h.sim.tick();
      // The controller re-uses the old ControllerRevision and renumbers it 3, as the real one does.
      const revisions = h.sim.objects
        .list('apps/v1', 'ControllerRevision', ns)
        .map((r) => [imageOf(r.data as KubeObject), r.revision]);
      expect(revisions).toContainEqual(['store:1', 3]);
      const again = await k8sRollback.run(h.context(target, { id: 'heal-0002' }), { toRevision: 3 });
      expect(again.status).toBe('unchanged');
      expect(again.detail).toContain('current template already matches revision 3');
    });

    it(`refuses a ${kind} without a previous revision`, async () => {
      seed(['store:1']);
      const err = await failure(k8sRollback.run(h.context(target), previous));
      expect(err).toMatchObject({
        code: 'SALVE_ACTION_REFUSED',
        retryable: false,
        message: 'no last revision to roll back to',
      });
    });
  }
});
