import { afterEach, describe, expect, it } from 'vitest';
import {
  type KubeObject,
  type KubeSim,
  type KubeSimOptions,
  scenarioDemo,
  startKubeSim,
} from '../support/kube-sim/index.js';

// Pods as the simulator's controllers and kubelets make them: names, labels, owners, status a scenario can
// shape (crash loops, not ready, waiting), and replacement by rollouts.

const sims: KubeSim[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

async function demo(options: KubeSimOptions = {}): Promise<KubeSim> {
  const sim = await startKubeSim({ tickMs: 0, ...options });
  sims.push(sim);
  scenarioDemo(sim);
  return sim;
}

const ns = 'ml-prod';
type ContainerStatus = {
  name: string;
  ready: boolean;
  restartCount: number;
  state: {
    waiting?: { reason: string; message?: string };
    running?: object;
    terminated?: { reason: string };
  };
  lastState: { terminated?: { exitCode: number; reason: string; finishedAt: string } };
};
type PodStatus = {
  phase: string;
  podIP?: string;
  conditions: Array<{ type: string; status: string; reason?: string }>;
  containerStatuses: ContainerStatus[];
};

const pods = (sim: KubeSim, selector: (p: KubeObject) => boolean = () => true) =>
  sim.objects.list('v1', 'Pod', ns).filter(selector);
const statusOf = (p: KubeObject) => p.status as PodStatus;
const ready = (p: KubeObject) =>
  statusOf(p).conditions.some((c) => c.type === 'Ready' && c.status === 'True');
const owner = (p: KubeObject) => p.metadata.ownerReferences?.[0];
const image = (p: KubeObject) => (p.spec as { containers: Array<{ image: string }> }).containers[0]?.image;
const get = (sim: KubeSim, apiVersion: string, kind: string, name: string): KubeObject => {
  const o = sim.objects.get(apiVersion, kind, ns, name);
  if (o === undefined) throw new Error(`missing ${kind} ${name}`);
  return o;
};

function setImage(sim: KubeSim, kind: string, name: string, img: string): void {
  const o = get(sim, 'apps/v1', kind, name);
  const spec = o.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  const c = spec.template.spec.containers[0];
  if (c) c.image = img;
  sim.objects.put(o);
}

describe('kube-sim pods of ReplicaSets', () => {
  it('names, labels and owns pods as the ReplicaSet controller does, scheduled on the worker nodes and running', async () => {
    const sim = await demo();
    const rs = sim.objects
      .list('apps/v1', 'ReplicaSet', ns)
      .find((r) => (r.spec as { replicas: number }).replicas === 3) as KubeObject;
    const hash = rs.metadata.labels?.['pod-template-hash'];
    const mine = pods(sim);
    expect(mine).toHaveLength(3);
    for (const p of mine) {
      expect(p.metadata.name).toMatch(new RegExp(`^${rs.metadata.name}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.generateName).toBe(`${rs.metadata.name}-`);
      expect(p.metadata.labels).toEqual({ app: 'fraud-scorer', 'pod-template-hash': hash });
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(statusOf(p)).toMatchObject({
        phase: 'Running',
        podIP: expect.stringMatching(/^10\.244\.\d+\.\d+$/),
      });
      expect(ready(p)).toBe(true);
    }
    const nodes = new Set(mine.map((p) => (p.spec as { nodeName: string }).nodeName));
    expect([...nodes].sort()).toEqual(['worker-1', 'worker-2', 'worker-3']);
  });

  it('a crash-looping pod reports CrashLoopBackOff, its restarts grow with kubelet back-off, and the Deployment loses availability', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const sim = await demo({ now: () => now });
    const victim = pods(sim)[0] as KubeObject;
    sim.pods.setHealth(ns, victim.metadata.name ?? '', {
      state: 'crashLoop',
      restartCount: 3,
      exitCode: 137,
      reason: 'OOMKilled',
    });
    sim.tick();
    const crashing = get(sim, 'v1', 'Pod', victim.metadata.name ?? '');
    const c = statusOf(crashing).containerStatuses[0] as ContainerStatus;
    expect(statusOf(crashing).phase).toBe('Running');
    expect(ready(crashing)).toBe(false);
    expect(c).toMatchObject({
      ready: false,
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    });
    expect(c.state.waiting?.message).toBe(
      `back-off 1m20s restarting failed container=fraud-scorer pod=${victim.metadata.name}_${ns}(${victim.metadata.uid})`,
    );
    expect(get(sim, 'apps/v1', 'Deployment', 'fraud-scorer').status).toMatchObject({
      replicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
    });
    now += 80_000; // one back-off of 1m20s later
    sim.tick();
    expect(
      (statusOf(get(sim, 'v1', 'Pod', victim.metadata.name ?? '')).containerStatuses[0] as ContainerStatus)
        .restartCount,
    ).toBe(4);
    const warnings = sim.objects
      .list('v1', 'Event', ns)
      .filter(
        (e) => (e.involvedObject as { name: string }).name === victim.metadata.name && e.type === 'Warning',
      );
    expect(warnings.map((e) => e.reason)).toEqual(['BackOff']);
    expect(warnings[0]?.count).toBe(2);
  });

  it('rollout restart replaces every pod with the new ReplicaSet, healing a crash-looping one', async () => {
    const sim = await demo();
    const before = pods(sim);
    sim.pods.setHealth(ns, before[1]?.metadata.name ?? '', { state: 'crashLoop' });
    const d = get(sim, 'apps/v1', 'Deployment', 'fraud-scorer');
    const spec = d.spec as { template: { metadata: { annotations?: Record<string, string> } } };
    spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-03-01T10:00:00Z' };
    sim.objects.put(d);
    sim.tick();
    const after = pods(sim);
    expect(after).toHaveLength(3);
    expect(after.some((p) => before.some((b) => b.metadata.uid === p.metadata.uid))).toBe(false);
    expect(after.every(ready)).toBe(true);
    const newest = sim.objects
      .list('apps/v1', 'ReplicaSet', ns)
      .find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3');
    expect(new Set(after.map((p) => owner(p)?.name))).toEqual(new Set([newest?.metadata.name]));
  });

  it('a bad release crash-loops while the old pods keep serving; rolling back brings healthy pods of the old ReplicaSet', async () => {
    const sim = await demo({ readyPerTick: 1 });
    sim.pods.setImageHealth('registry.example/fraud-scorer:1.6.0', { state: 'crashLoop', restartCount: 5 });
    setImage(sim, 'Deployment', 'fraud-scorer', 'registry.example/fraud-scorer:1.6.0');
    for (let i = 0; i < 4; i++) sim.tick();
    const bad = pods(sim, (p) => image(p) === 'registry.example/fraud-scorer:1.6.0');
    const good = pods(sim, (p) => image(p) === 'registry.example/fraud-scorer:1.5.0');
    expect(bad).toHaveLength(3);
    expect(
      bad.every((p) => statusOf(p).containerStatuses[0]?.state.waiting?.reason === 'CrashLoopBackOff'),
    ).toBe(true);
    expect(good.filter(ready)).toHaveLength(3);
    expect(get(sim, 'apps/v1', 'Deployment', 'fraud-scorer').status).toMatchObject({
      replicas: 6,
      updatedReplicas: 3,
      availableReplicas: 3,
    });
    setImage(sim, 'Deployment', 'fraud-scorer', 'registry.example/fraud-scorer:1.5.0');
    for (let i = 0; i < 2; i++) sim.tick();
    expect(pods(sim).map(image)).toEqual(Array(3).fill('registry.example/fraud-scorer:1.5.0'));
    expect(pods(sim).every(ready)).toBe(true);
  });

  it('notReady and waiting pods: Running without readiness, and Pending with the waiting reason', async () => {
    const sim = await demo();
    const [a, b] = pods(sim);
    const notReady = sim.pods.setHealth(ns, a?.metadata.name ?? '', { state: 'notReady' });
    expect(statusOf(notReady).phase).toBe('Running');
    expect(ready(notReady)).toBe(false);
    expect(statusOf(notReady).containerStatuses[0]).toMatchObject({ ready: false, state: { running: {} } });
    const waiting = sim.pods.setHealth(ns, b?.metadata.name ?? '', {
      state: 'waiting',
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "registry.example/fraud-scorer:1.5.0"',
    });
    expect(statusOf(waiting).phase).toBe('Pending');
    expect(statusOf(waiting).containerStatuses[0]?.state.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "registry.example/fraud-scorer:1.5.0"',
    });
  });

  it('a cordoned cluster leaves new pods Pending as Unschedulable until a node takes them', async () => {
    const sim = await demo();
    for (const n of sim.objects.list('v1', 'Node', ''))
      sim.objects.put({ ...n, spec: { ...(n.spec as object), unschedulable: true } });
    const d = get(sim, 'apps/v1', 'Deployment', 'fraud-scorer');
    sim.objects.put({ ...d, spec: { ...(d.spec as object), replicas: 4 } });
    sim.tick();
    const pending = pods(sim, (p) => statusOf(p).phase === 'Pending');
    expect(pending).toHaveLength(1);
    expect(statusOf(pending[0] as KubeObject).conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }),
    ]);
    const node = sim.objects.get('v1', 'Node', '', 'worker-2') as KubeObject;
    sim.objects.put({ ...node, spec: { ...(node.spec as object), unschedulable: false } });
    sim.tick();
    sim.tick();
    const moved = get(sim, 'v1', 'Pod', pending[0]?.metadata.name ?? '');
    expect((moved.spec as { nodeName: string }).nodeName).toBe('worker-2');
    expect(ready(moved)).toBe(true);
  });
});

describe('kube-sim pods of StatefulSets, DaemonSets, Jobs and CronJobs', () => {
  it('StatefulSet pods are <sts>-<ordinal> with revision labels; a crash-looping update stops after the highest ordinal', async () => {
    const sim = await demo();
    sim.seed.statefulSet({ namespace: ns, name: 'features', replicas: 3, revisions: [{ image: 'f:1' }] });
    const sts = get(sim, 'apps/v1', 'StatefulSet', 'features');
    const first = (sts.status as { currentRevision: string }).currentRevision;
    const p0 = get(sim, 'v1', 'Pod', 'features-0');
    expect(p0.metadata.labels).toEqual({
      app: 'features',
      'controller-revision-hash': first,
      'statefulset.kubernetes.io/pod-name': 'features-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    expect(p0.spec).toMatchObject({ hostname: 'features-0', subdomain: 'features' });
    expect(owner(p0)).toMatchObject({ kind: 'StatefulSet', name: 'features', controller: true });
    sim.pods.setImageHealth('f:2', { state: 'crashLoop' });
    setImage(sim, 'StatefulSet', 'features', 'f:2');
    for (let i = 0; i < 3; i++) sim.tick();
    const status = get(sim, 'apps/v1', 'StatefulSet', 'features').status as Record<string, unknown>;
    expect(status).toMatchObject({
      replicas: 3,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 1,
      currentRevision: first,
    });
    expect(status.updateRevision).not.toBe(first);
    expect(image(get(sim, 'v1', 'Pod', 'features-2'))).toBe('f:2');
    expect(image(get(sim, 'v1', 'Pod', 'features-1'))).toBe('f:1');
  });

  it('DaemonSet pods: one per node (cordoned ones too) with the bare revision hash; a stalled update replaces one and waits', async () => {
    const sim = await demo();
    const node = sim.objects.get('v1', 'Node', '', 'worker-3') as KubeObject;
    sim.objects.put({ ...node, spec: { ...(node.spec as object), unschedulable: true } });
    sim.seed.daemonSet({ namespace: ns, name: 'agent', revisions: [{ image: 'a:1' }] });
    const agents = pods(sim, (p) => owner(p)?.kind === 'DaemonSet');
    expect(agents.map((p) => (p.spec as { nodeName: string }).nodeName).sort()).toEqual([
      'worker-1',
      'worker-2',
      'worker-3',
    ]);
    const cr = sim.objects
      .list('apps/v1', 'ControllerRevision', ns)
      .find((c) => owner(c)?.name === 'agent') as KubeObject;
    expect(agents[0]?.metadata.labels).toMatchObject({
      'controller-revision-hash': cr.metadata.labels?.['controller-revision-hash'],
      'pod-template-generation': '1',
    });
    expect(cr.metadata.name).toBe(`agent-${agents[0]?.metadata.labels?.['controller-revision-hash']}`);
    sim.stall(ns, 'agent', 'DaemonSet');
    setImage(sim, 'DaemonSet', 'agent', 'a:2');
    sim.tick();
    sim.tick();
    expect(get(sim, 'apps/v1', 'DaemonSet', 'agent').status).toMatchObject({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      updatedNumberScheduled: 1,
      numberReady: 2,
      numberUnavailable: 1,
    });
  });

  it('a CronJob run creates <cronjob>-<minutes> owned by the CronJob; its pods carry the Job labels; a failed run leaves failed pods', async () => {
    const now = Date.parse('2026-03-01T03:00:00Z');
    const sim = await demo({ now: () => now });
    sim.jobOutcome({ namespace: ns, cronJob: 'retrain-fraud-scorer', outcome: 'failed' });
    const job = sim.runCronJob(ns, 'retrain-fraud-scorer');
    const cj = get(sim, 'batch/v1', 'CronJob', 'retrain-fraud-scorer');
    expect(job.metadata.name).toBe(`retrain-fraud-scorer-${now / 60_000}`);
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'retrain-fraud-scorer',
        uid: cj.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(job.metadata.annotations).toMatchObject({
      'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-03-01T03:00:00Z',
      'example.org/owner': 'ml-platform',
    });
    expect(cj.status).toMatchObject({
      active: [{ name: job.metadata.name }],
      lastScheduleTime: '2026-03-01T03:00:00Z',
    });
    sim.tick();
    const running = pods(sim, (p) => owner(p)?.kind === 'Job');
    expect(running).toHaveLength(1);
    expect(running[0]?.metadata.labels).toMatchObject({
      'job-name': job.metadata.name,
      'batch.kubernetes.io/job-name': job.metadata.name,
      'controller-uid': job.metadata.uid,
      'batch.kubernetes.io/controller-uid': job.metadata.uid,
    });
    expect(statusOf(running[0] as KubeObject).phase).toBe('Running');
    sim.tick();
    const done = get(sim, 'batch/v1', 'Job', job.metadata.name ?? '');
    expect((done.status as { conditions: Array<{ type: string }> }).conditions.at(-1)?.type).toBe('Failed');
    // The demo CronJob restarts OnFailure: the Job controller deletes its pods when the backoff limit is hit.
    expect(pods(sim, (p) => owner(p)?.kind === 'Job')).toHaveLength(0);
    expect(get(sim, 'batch/v1', 'CronJob', 'retrain-fraud-scorer').status).not.toHaveProperty('active');
  });

  it('a Job with restartPolicy Never that fails leaves backoffLimit + 1 Error pods; one that succeeds leaves Completed pods', async () => {
    const sim = await demo();
    const job = (name: string) =>
      sim.objects.put({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, namespace: ns },
        spec: {
          backoffLimit: 2,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 't:1' }] } },
        },
      });
    job('once');
    job('never');
    sim.tick();
    sim.completeJob(ns, 'once', 'succeeded');
    sim.completeJob(ns, 'never', 'failed');
    const of = (name: string) => pods(sim, (p) => owner(p)?.name === name);
    expect(of('once').map((p) => statusOf(p).containerStatuses[0]?.state.terminated?.reason)).toEqual([
      'Completed',
    ]);
    expect(of('never').map((p) => statusOf(p).phase)).toEqual(['Failed', 'Failed', 'Failed']);
    expect(of('never').every((p) => p.metadata.finalizers === undefined)).toBe(true);
  });

  it('an HPA scales its target to the desired count within bounds and reports current replicas and ScalingLimited', async () => {
    const sim = await demo();
    sim.seed.hpa({
      namespace: ns,
      name: 'fraud-scorer',
      target: { name: 'fraud-scorer' },
      minReplicas: 2,
      maxReplicas: 5,
      desiredReplicas: 9,
      cpu: { target: 80 },
    });
    sim.tick();
    sim.tick();
    expect((get(sim, 'apps/v1', 'Deployment', 'fraud-scorer').spec as { replicas: number }).replicas).toBe(5);
    expect(pods(sim)).toHaveLength(5);
    const hpa = get(sim, 'autoscaling/v2', 'HorizontalPodAutoscaler', 'fraud-scorer').status as {
      currentReplicas: number;
      desiredReplicas: number;
      conditions: Array<{ type: string; status: string; reason: string }>;
    };
    expect(hpa).toMatchObject({ currentReplicas: 5, desiredReplicas: 5 });
    expect(hpa.conditions.find((c) => c.type === 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'TooManyReplicas',
    });
  });
});
