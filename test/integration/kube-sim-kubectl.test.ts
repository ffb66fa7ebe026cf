/**
 * Cross-checks of the Kubernetes API simulator against the real kubectl (v1.32 on these machines), following
 * /work/shared/reference/kubernetes.md. What is checked:
 * - `rollout undo` (previous and --to-revision): one JSON Patch replacing /spec/template (pod-template-hash removed)
 *   and /metadata/annotations; the controller re-uses the old ReplicaSet, bumps its revision to max+1 and appends the
 *   old number to revision-history; undo twice flips between two templates; undo to the current template prints
 *   "skipped rollback"; an unknown revision and a paused Deployment are refused by kubectl itself.
 * - StatefulSet and DaemonSet undo through ControllerRevisions (strategic merge patch of the revision's data,
 *   including kubectl's byte-for-byte "already matches" check).
 * - `rollout restart`: strategic merge patch of the restartedAt template annotation, a new ReplicaSet/revision.
 * - `create job --from=cronjob/C`: kubectl posts protobuf; the stored Job carries exactly the reference's fields;
 *   a second create is AlreadyExists.
 * - `rollout status` waits while the controller works, succeeds when it is done, fails on ProgressDeadlineExceeded.
 * - `rollout history` (and --revision=N), `scale` (through the /scale subresource).
 * - `apply` (client-side three-way patch and --server-side), `get` with the server-side Table columns.
 * Pods, watches and describe: kube-sim-kubectl-pods.test.ts.
 * Deviations from a real cluster: server-side apply does not track field managers (no apply conflicts);
 * unknown fields are not rejected under fieldValidation=Strict; a rollout has no surge limit (the new ReplicaSet is scaled to the full
 * count at once, old ones shrink as new replicas become available); ReplicaSet hashes are not Go's (same shape).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type KubeSim, type KubeSimOptions, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';
import { hasKubectl, type Kubectl, kubectlFor, streamKubectl } from '../support/kubectl.js';

if (!hasKubectl) console.warn('kube-sim kubectl cross-checks SKIPPED: kubectl is not on PATH');

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function cluster(options: KubeSimOptions = {}): Promise<{
  sim: KubeSim;
  kubectl: Kubectl;
  stream: (...args: string[]) => ReturnType<typeof streamKubectl>;
}> {
  const sim = await startKubeSim({ tickMs: 0, ...options });
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
  cleanups.push(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });
  scenarioDemo(sim);
  const kubeconfig = sim.writeKubeconfig(dir, { namespace: 'ml-prod' });
  const stream = (...args: string[]) => {
    const s = streamKubectl(kubeconfig, join(dir, 'cache'), ...args);
    cleanups.unshift(s.stop);
    return s;
  };
  return { sim, kubectl: kubectlFor(kubeconfig, join(dir, 'cache')), stream };
}

function defined<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`expected ${what}`);
  return v;
}

const REV = 'deployment.kubernetes.io/revision';
const HISTORY = 'deployment.kubernetes.io/revision-history';

function deployment(sim: KubeSim, name = 'fraud-scorer') {
  const d = sim.objects.get('apps/v1', 'Deployment', 'ml-prod', name);
  if (d === undefined) throw new Error(`no deployment ${name}`);
  const spec = d.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  return { d, image: spec.template.spec.containers[0]?.image, revision: d.metadata.annotations?.[REV] };
}

function replicaSetByImage(sim: KubeSim, image: string) {
  return sim.objects
    .list('apps/v1', 'ReplicaSet', 'ml-prod')
    .find(
      (rs) =>
        (rs.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
          .containers[0]?.image === image,
    );
}

const OLD = 'registry.example/fraud-scorer:1.4.0';
const NEW = 'registry.example/fraud-scorer:1.5.0';

describe.skipIf(!hasKubectl)('kube-sim against kubectl', () => {
  it('rollout undo sends one JSON patch and the controller re-uses the old ReplicaSet under the next revision', async () => {
    const { sim, kubectl } = await cluster();
    const undo = await kubectl('rollout', 'undo', 'deployment/fraud-scorer', '-n', 'ml-prod');
    expect(undo).toMatchObject({ code: 0, stdout: 'deployment.apps/fraud-scorer rolled back\n' });
    const patch = defined(sim.mutations().at(-1), 'a mutation');
    expect(patch.contentType).toBe('application/json-patch+json');
    const ops = patch.body as Array<{ op: string; path: string; value: { metadata?: { labels?: object } } }>;
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual([
      'replace /spec/template',
      'replace /metadata/annotations',
    ]);
    expect(ops[0]?.value.metadata?.labels).toEqual({ app: 'fraud-scorer' });
    sim.tick();
    expect(deployment(sim)).toMatchObject({ image: OLD, revision: '3' });
    const reused = replicaSetByImage(sim, OLD);
    expect(reused?.metadata.annotations).toMatchObject({
      [REV]: '3',
      [HISTORY]: '1',
      'kubernetes.io/change-cause': 'release 1.4.0',
    });
    expect(reused?.spec).toMatchObject({ replicas: 3 });
    expect(replicaSetByImage(sim, NEW)?.spec).toMatchObject({ replicas: 0 });
    expect(sim.objects.list('apps/v1', 'ReplicaSet', 'ml-prod')).toHaveLength(2);
  });

  it('rollout undo twice flips back to the newer template and keeps both histories', async () => {
    const { sim, kubectl } = await cluster();
    await kubectl('rollout', 'undo', 'deployment/fraud-scorer');
    sim.tick();
    expect((await kubectl('rollout', 'undo', 'deployment/fraud-scorer')).code).toBe(0);
    sim.tick();
    expect(deployment(sim)).toMatchObject({ image: NEW, revision: '4' });
    expect(replicaSetByImage(sim, NEW)?.metadata.annotations).toMatchObject({ [REV]: '4', [HISTORY]: '2' });
    expect(replicaSetByImage(sim, OLD)?.metadata.annotations).toMatchObject({ [REV]: '3', [HISTORY]: '1' });
    const history = await kubectl('rollout', 'history', 'deployment/fraud-scorer');
    expect(history.stdout.split('\n').slice(1).join('\n')).toBe(
      'REVISION  CHANGE-CAUSE\n3         release 1.4.0\n4         release 1.5.0\n\n',
    );
  });

  it('rollout undo --to-revision picks that revision, skips the current one and refuses unknown or paused', async () => {
    const { sim, kubectl } = await cluster();
    expect((await kubectl('rollout', 'undo', 'deployment/fraud-scorer', '--to-revision=1')).code).toBe(0);
    sim.tick();
    expect(deployment(sim)).toMatchObject({ image: OLD, revision: '3' });
    const skipped = await kubectl('rollout', 'undo', 'deployment/fraud-scorer', '--to-revision=3');
    expect(skipped.stdout).toContain('skipped rollback (current template already matches revision 3)');
    const unknown = await kubectl('rollout', 'undo', 'deployment/fraud-scorer', '--to-revision=9');
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain('unable to find specified revision 9 in history');
    expect((await kubectl('rollout', 'pause', 'deployment/fraud-scorer')).code).toBe(0);
    const paused = await kubectl('rollout', 'undo', 'deployment/fraud-scorer');
    expect(paused.stderr).toContain('you cannot rollback a paused deployment');
    const restart = await kubectl('rollout', 'restart', 'deployment/fraud-scorer');
    expect(restart.stderr).toContain("can't restart paused deployment");
  });

  it('rollout restart patches the restartedAt annotation and rolls out a new ReplicaSet', async () => {
    const { sim, kubectl } = await cluster();
    expect((await kubectl('rollout', 'restart', 'deployment/fraud-scorer')).code).toBe(0);
    const patch = defined(sim.mutations().at(-1), 'a mutation');
    expect(patch.contentType).toBe('application/strategic-merge-patch+json');
    const at = (patch.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } })
      .spec.template.metadata.annotations;
    expect(Object.keys(at)).toEqual(['kubectl.kubernetes.io/restartedAt']);
    expect(at['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    sim.tick();
    expect(deployment(sim)).toMatchObject({ image: NEW, revision: '3' });
    expect(sim.objects.list('apps/v1', 'ReplicaSet', 'ml-prod')).toHaveLength(3);
  });

  it('create job --from=cronjob stores exactly the reference fields, and a second create is AlreadyExists', async () => {
    const { sim, kubectl } = await cluster();
    const created = await kubectl('create', 'job', 'retrain-heal-1', '--from=cronjob/retrain-fraud-scorer');
    expect(created).toMatchObject({ code: 0, stdout: 'job.batch/retrain-heal-1 created\n' });
    const post = defined(sim.mutations().at(-1), 'a mutation');
    expect(post.contentType).toBe('application/vnd.kubernetes.protobuf');
    const cron = defined(
      sim.objects.get('batch/v1', 'CronJob', 'ml-prod', 'retrain-fraud-scorer'),
      'the CronJob',
    );
    const template = (cron.spec as { jobTemplate: { spec: unknown } }).jobTemplate;
    const sent = post.body as { metadata: Record<string, unknown>; spec: unknown };
    expect(sent.metadata).toEqual({
      name: 'retrain-heal-1',
      creationTimestamp: null,
      labels: { model: 'fraud-scorer' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', 'example.org/owner': 'ml-platform' },
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          name: 'retrain-fraud-scorer',
          uid: cron.metadata.uid,
          controller: true,
        },
      ],
    });
    expect(sent.spec).toEqual(template.spec);
    const job = sim.objects.get('batch/v1', 'Job', 'ml-prod', 'retrain-heal-1');
    expect(job?.metadata.ownerReferences).toEqual(sent.metadata.ownerReferences);
    expect(job?.metadata.annotations).toEqual(sent.metadata.annotations);
    const again = await kubectl('create', 'job', 'retrain-heal-1', '--from=cronjob/retrain-fraud-scorer');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('jobs.batch "retrain-heal-1" already exists');
  });

  it('rollout status waits while replicas come up and succeeds once the controller is done', async () => {
    const { sim, kubectl, stream } = await cluster({ readyPerTick: 1 });
    await kubectl('rollout', 'restart', 'deployment/fraud-scorer');
    const status = stream('rollout', 'status', 'deployment/fraud-scorer', '--timeout=10s');
    const waiting = () =>
      status
        .output()
        .split('\n')
        .filter((l) => l.startsWith('Waiting for')).length;
    // One step of the controller at a time: kubectl says what it still waits for, and goes on waiting.
    for (let seen = 1; seen <= 3; seen++) {
      await status.waitFor(() => waiting() >= seen);
      expect(status.output()).not.toContain('successfully rolled out');
      expect(status.running()).toBe(true);
      sim.tick();
    }
    expect(await status.exited()).toBe(0);
    expect(status.output()).toContain('Waiting for deployment "fraud-scorer" rollout to finish');
    expect(status.output()).toContain('deployment "fraud-scorer" successfully rolled out');
    expect(
      sim.requests.some(
        (r) => r.query.watch === 'true' && r.query.fieldSelector === 'metadata.name=fraud-scorer',
      ),
    ).toBe(true);
  });

  it('rollout status fails once a stalled rollout exceeds its progress deadline on the simulator clock', async () => {
    let now = Date.parse('2025-03-01T10:00:00Z');
    const { sim, kubectl } = await cluster({ now: () => now });
    sim.stall('ml-prod', 'fraud-scorer');
    await kubectl('rollout', 'undo', 'deployment/fraud-scorer');
    sim.tick();
    now += 601_000;
    sim.tick();
    const out = await kubectl('rollout', 'status', 'deployment/fraud-scorer', '--timeout=10s');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('deployment "fraud-scorer" exceeded its progress deadline');
  });

  it('rollout history --revision prints that revision template; scale goes through the scale subresource', async () => {
    const { sim, kubectl } = await cluster();
    const rev1 = await kubectl('rollout', 'history', 'deployment/fraud-scorer', '--revision=1');
    expect(rev1.stdout).toContain(`Image:\t${OLD}`);
    expect((await kubectl('scale', 'deployment/fraud-scorer', '--replicas=5')).code).toBe(0);
    expect(sim.mutations().at(-1)?.path).toBe(
      '/apis/apps/v1/namespaces/ml-prod/deployments/fraud-scorer/scale',
    );
    sim.tick();
    expect(deployment(sim).d.status).toMatchObject({ replicas: 5, availableReplicas: 5, updatedReplicas: 5 });
  });

  it('StatefulSet and DaemonSet undo go through ControllerRevisions like a real cluster', async () => {
    const { sim, kubectl } = await cluster();
    sim.seed.statefulSet({
      namespace: 'ml-prod',
      name: 'features',
      replicas: 2,
      revisions: [{ image: 'f:1' }, { image: 'f:2' }],
    });
    sim.seed.daemonSet({
      namespace: 'ml-prod',
      name: 'agent',
      revisions: [{ image: 'a:1' }, { image: 'a:2' }],
    });
    for (const [kind, name, old] of [
      ['StatefulSet', 'features', 'f:1'],
      ['DaemonSet', 'agent', 'a:1'],
    ] as const) {
      const ref = `${kind.toLowerCase()}/${name}`;
      expect((await kubectl('rollout', 'undo', ref, '--to-revision=2')).stdout).toContain('skipped rollback');
      expect((await kubectl('rollout', 'undo', ref)).stdout).toContain('rolled back');
      expect(sim.mutations().at(-1)?.contentType).toBe('application/strategic-merge-patch+json');
      sim.tick();
      const obj = defined(sim.objects.get('apps/v1', kind, 'ml-prod', name), name);
      expect(
        (obj.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec
          .containers[0]?.image,
      ).toBe(old);
      const revisions = sim.objects
        .list('apps/v1', 'ControllerRevision', 'ml-prod')
        .filter((cr) => cr.metadata.ownerReferences?.[0]?.uid === obj.metadata.uid)
        .map((cr) => cr.revision)
        .sort();
      expect(revisions).toEqual([2, 3]);
      expect((await kubectl('rollout', 'status', ref, '--timeout=5s')).code).toBe(0);
      expect((await kubectl('rollout', 'history', ref)).stdout).toContain(
        'REVISION  CHANGE-CAUSE\n2         <none>\n3         <none>',
      );
    }
  });

  it('apply creates then three-way patches, apply --server-side updates, and get prints the usual columns', async () => {
    const { sim, kubectl } = await cluster();
    const manifest = (image: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: 'ml-prod', labels: { app: 'web' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
        },
      });
    const applyDir = mkdtempSync(join(tmpdir(), 'kube-sim-apply-'));
    cleanups.push(async () => rmSync(applyDir, { recursive: true, force: true }));
    const file = join(applyDir, 'web.json');
    for (const [args, image, verb] of [
      [[], 'web:1', 'created'],
      [[], 'web:2', 'configured'],
      [['--server-side'], 'web:3', 'serverside-applied'],
    ] as const) {
      writeFileSync(file, manifest(image));
      const out = await kubectl('apply', ...args, '-f', file);
      expect(out).toMatchObject({ code: 0, stdout: `deployment.apps/web ${verb}\n` });
      sim.tick();
      expect(deployment(sim, 'web').image).toBe(image);
    }
    expect(sim.mutations().map((r) => r.contentType)).toEqual(
      expect.arrayContaining(['application/strategic-merge-patch+json', 'application/apply-patch+yaml']),
    );
    const table = await kubectl('get', 'deployment', 'web');
    expect(table.stdout).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/,
    );
    expect(deployment(sim, 'web').revision).toBe('3');
  });
});
