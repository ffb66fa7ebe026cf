import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { k8sRollback } from '../../src/actions/k8s-rollback/action.js';
import { retrainCronjob } from '../../src/actions/retrain-cronjob/action.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import type { KubeObject, RecordedRequest } from '../support/kube-sim/index.js';
import { hasKubectl, kubectlInNamespace } from '../support/kubectl.js';

// The same starting state in two simulators: kubectl acts on one, salve on the other, and the requests and
// resulting objects must agree (salve's own `salve.dev/` annotations aside).

const ns = 'ml-prod';
const scorer: TargetRef = { kind: 'Deployment', namespace: ns, name: 'scorer' };

async function kubectl(h: KubeActionHarness, ...args: string[]): Promise<string> {
  const result = await kubectlInNamespace(h.kubeconfig, ns)(...args);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function dropSalveMarks(annotations: unknown): unknown {
  if (typeof annotations !== 'object' || annotations === null) return annotations;
  return Object.fromEntries(Object.entries(annotations).filter(([key]) => !key.startsWith('salve.dev/')));
}

/** Drops salve's own annotations (the heal-step marks) from every annotations map in a JSON value. */
function withoutSalveMarks(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => (key === 'annotations' ? dropSalveMarks(v) : v));
}

/** The same for the annotations a JSON Patch sets with /metadata/annotations. */
function patchWithoutSalveMarks(ops: unknown): unknown {
  return (ops as { path: string; value?: unknown }[]).map((op) =>
    op.path === '/metadata/annotations' ? { ...op, value: dropSalveMarks(op.value) } : op,
  );
}

function seedDeployment(h: KubeActionHarness) {
  h.sim.seed.deployment({
    namespace: ns,
    name: 'scorer',
    replicas: 2,
    revisions: [
      { image: 'scorer:1', annotations: { 'kubernetes.io/change-cause': 'first', team: 'ml' } },
      {
        image: 'scorer:2',
        annotations: { 'kubernetes.io/change-cause': 'second' },
        templateAnnotations: { a: '1' },
      },
      { image: 'scorer:3', annotations: { 'kubernetes.io/change-cause': 'third', team: 'serving' } },
    ],
  });
}

const patchesSince = (h: KubeActionHarness, from: number): RecordedRequest[] =>
  h.sim.requests.slice(from).filter((r) => r.method === 'PATCH');
const listSelectors = (h: KubeActionHarness, from: number) =>
  h.sim.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.path.endsWith('/replicasets'))
    .map((r) => r.query.labelSelector);

function rolloutView(object: KubeObject): unknown {
  return withoutSalveMarks({
    template: (object.spec as { template: unknown }).template,
    annotations: object.metadata.annotations,
  });
}

describe.skipIf(!hasKubectl)('salve against kubectl, on identical simulated clusters', () => {
  let withKubectl: KubeActionHarness;
  let withSalve: KubeActionHarness;
  beforeEach(async () => {
    [withKubectl, withSalve] = await Promise.all([startKubeActionHarness(), startKubeActionHarness()]);
  });
  afterEach(async () => {
    await Promise.all([withKubectl.close(), withSalve.close()]);
  });

  async function undoBoth(
    kubectlArgs: string[],
    params: { toRevision?: number; mode?: 'previous' },
    heal: string,
  ) {
    const fromKubectl = withKubectl.sim.requests.length;
    const fromSalve = withSalve.sim.requests.length;
    await kubectl(withKubectl, 'rollout', 'undo', 'deployment/scorer', ...kubectlArgs);
    const result = await k8sRollback.run(withSalve.context(scorer, { id: heal }), params);
    expect(result.status).toBe('changed');
    const theirs = patchesSince(withKubectl, fromKubectl);
    const ours = patchesSince(withSalve, fromSalve);
    expect(ours).toHaveLength(1);
    expect(ours.map((r) => r.contentType)).toEqual(theirs.map((r) => r.contentType));
    expect(patchWithoutSalveMarks(ours[0]?.body)).toEqual(theirs[0]?.body);
    expect(listSelectors(withSalve, fromSalve)).toEqual(listSelectors(withKubectl, fromKubectl));
    withKubectl.sim.tick();
    withSalve.sim.tick();
    expect(rolloutView(withSalve.workload('Deployment', ns, 'scorer'))).toEqual(
      rolloutView(withKubectl.workload('Deployment', ns, 'scorer')),
    );
  }

  it('rollout undo to the previous revision sends the same JSON Patch and ends in the same Deployment', async () => {
    seedDeployment(withKubectl);
    seedDeployment(withSalve);
    await undoBoth([], { mode: 'previous' }, 'heal-a');
  });

  it('rollout undo --to-revision and a second undo agree too', async () => {
    seedDeployment(withKubectl);
    seedDeployment(withSalve);
    await undoBoth(['--to-revision=1'], { toRevision: 1 }, 'heal-a');
    await undoBoth([], { mode: 'previous' }, 'heal-b');
  });

  it('rollout undo of a StatefulSet sends the same strategic merge patch of the revision data', async () => {
    const target: TargetRef = { kind: 'StatefulSet', namespace: ns, name: 'store' };
    for (const h of [withKubectl, withSalve]) {
      h.sim.seed.statefulSet({
        namespace: ns,
        name: 'store',
        replicas: 2,
        revisions: [{ image: 'store:1' }, { image: 'store:2' }],
      });
    }
    const fromKubectl = withKubectl.sim.requests.length;
    const fromSalve = withSalve.sim.requests.length;
    await kubectl(withKubectl, 'rollout', 'undo', 'statefulset/store');
    await k8sRollback.run(withSalve.context(target), { mode: 'previous' });
    const [theirs] = patchesSince(withKubectl, fromKubectl);
    const [ours, ...more] = patchesSince(withSalve, fromSalve);
    expect(more).toHaveLength(0);
    expect(ours?.contentType).toBe(theirs?.contentType);
    const { metadata, ...ourData } = (ours?.body ?? {}) as { metadata?: unknown };
    expect(metadata).toEqual({ annotations: { 'salve.dev/rollback-for': 'heal-0001/1' } });
    expect(ourData).toEqual(theirs?.body);
    const template = (h: KubeActionHarness) =>
      (h.workload('StatefulSet', ns, 'store').spec as { template: unknown }).template;
    expect(template(withSalve)).toEqual(template(withKubectl));
  });

  it('create job --from=cronjob builds the same Job, apart from its name', async () => {
    for (const h of [withKubectl, withSalve]) {
      h.sim.seed.cronJob({
        namespace: ns,
        name: 'retrain-scorer',
        image: 'trainer:1',
        jobTemplate: {
          labels: { team: 'ml' },
          annotations: { 'cronjob.kubernetes.io/instantiate': 'scheduled', why: 'nightly' },
        },
      });
    }
    await kubectl(withKubectl, 'create', 'job', 'by-hand', '--from=cronjob/retrain-scorer');
    const result = await retrainCronjob.run(withSalve.context(scorer), { cronJob: 'retrain-scorer' });
    const normalise = (h: KubeActionHarness, name: string) => {
      const job = h.sim.objects.get('batch/v1', 'Job', ns, name);
      const cronJob = h.sim.objects.get('batch/v1', 'CronJob', ns, 'retrain-scorer');
      expect(job).toBeDefined();
      const { metadata, spec } = job as KubeObject;
      const text = JSON.stringify({
        annotations: metadata.annotations,
        labels: metadata.labels,
        ownerReferences: metadata.ownerReferences,
        spec,
      })
        .replaceAll(metadata.uid ?? 'job-uid', 'JOB-UID')
        .replaceAll(cronJob?.metadata.uid ?? 'cronjob-uid', 'CRONJOB-UID')
        .replaceAll(`"${name}"`, '"JOB-NAME"');
      return withoutSalveMarks(JSON.parse(text));
    };
    expect(normalise(withSalve, String(result.data?.jobName))).toEqual(normalise(withKubectl, 'by-hand'));
  });
});
