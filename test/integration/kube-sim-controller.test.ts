import { afterEach, describe, expect, it } from 'vitest';
import {
  type KubeObject,
  type KubeSim,
  type KubeSimOptions,
  scenarioDemo,
  startKubeSim,
} from '../support/kube-sim/index.js';

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

type Cond = { type: string; status: string; reason: string; message: string; lastUpdateTime: string };
type DeployStatus = Record<string, number | Cond[]> & { conditions: Cond[] };

function get(sim: KubeSim, kind = 'Deployment', name = 'fraud-scorer'): KubeObject {
  const obj = sim.objects.get(kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, 'ml-prod', name);
  if (obj === undefined) throw new Error(`missing ${kind} ${name}`);
  return obj;
}

function status(sim: KubeSim): DeployStatus {
  return get(sim).status as DeployStatus;
}

function progressing(sim: KubeSim): Cond | undefined {
  return status(sim).conditions.find((c) => c.type === 'Progressing');
}

/** Changes the pod template the way a client would (a new image). */
function setImage(sim: KubeSim, image: string, kind = 'Deployment', name = 'fraud-scorer'): void {
  const obj = get(sim, kind, name);
  const spec = obj.spec as { template: { spec: { containers: Array<{ image: string }> } } };
  const c = spec.template.spec.containers[0];
  if (c) c.image = image;
  sim.objects.put(obj);
}

describe('kube-sim deployment controller', () => {
  it('rolls out over ticks with readyPerTick, keeping availability while old replicas drain', async () => {
    const sim = await demo({ readyPerTick: 1 });
    setImage(sim, 'registry.example/fraud-scorer:1.6.0');
    expect(get(sim).metadata.generation).toBe(3);
    expect(status(sim).observedGeneration).toBe(2);
    const seen: Array<[number, number, number, string | undefined]> = [];
    for (let i = 0; i < 3; i++) {
      sim.tick();
      const s = status(sim);
      seen.push([
        s.replicas as number,
        s.updatedReplicas as number,
        s.availableReplicas as number,
        progressing(sim)?.reason,
      ]);
    }
    expect(seen).toEqual([
      [5, 3, 3, 'NewReplicaSetCreated'],
      [4, 3, 3, 'ReplicaSetUpdated'],
      [3, 3, 3, 'NewReplicaSetAvailable'],
    ]);
    expect(status(sim).observedGeneration).toBe(3);
    expect(get(sim).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const rsReplicas = sim.objects
      .list('apps/v1', 'ReplicaSet', 'ml-prod')
      .map((rs) => (rs.spec as { replicas: number }).replicas);
    expect(rsReplicas.sort()).toEqual([0, 0, 3]);
  });

  it('marks a stalled rollout ProgressDeadlineExceeded after progressDeadlineSeconds of simulator time', async () => {
    let now = Date.parse('2025-03-01T10:00:00Z');
    const sim = await demo({ now: () => now });
    sim.stall('ml-prod', 'fraud-scorer');
    setImage(sim, 'registry.example/fraud-scorer:broken');
    sim.tick();
    now += 599_000;
    sim.tick();
    expect(progressing(sim)?.status).toBe('True');
    now += 2_000;
    sim.tick();
    expect(progressing(sim)).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(progressing(sim)?.message).toMatch(/^ReplicaSet "fraud-scorer-\w+" has timed out progressing\.$/);
    expect(status(sim)).toMatchObject({ updatedReplicas: 3, availableReplicas: 3, replicas: 6 });
    sim.unstall('ml-prod', 'fraud-scorer');
    sim.tick();
    expect(progressing(sim)?.reason).toBe('NewReplicaSetAvailable');
  });

  it('a rollback after a stalled rollout runs normally: the stall belonged to the abandoned rollout', async () => {
    const sim = await demo();
    sim.stall('ml-prod', 'fraud-scorer');
    setImage(sim, 'registry.example/fraud-scorer:broken');
    sim.tick();
    expect(progressing(sim)?.reason).not.toBe('NewReplicaSetAvailable');
    setImage(sim, 'registry.example/fraud-scorer:1.5.0');
    sim.tick();
    expect(progressing(sim)?.reason).toBe('NewReplicaSetAvailable');
    expect(get(sim).metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('does not roll out a paused Deployment and resumes when unpaused', async () => {
    const sim = await demo();
    const d = get(sim);
    (d.spec as Record<string, unknown>).paused = true;
    sim.objects.put(d);
    setImage(sim, 'registry.example/fraud-scorer:1.6.0');
    sim.tick();
    expect(progressing(sim)).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
    expect(sim.objects.list('apps/v1', 'ReplicaSet', 'ml-prod')).toHaveLength(2);
    const paused = get(sim);
    (paused.spec as Record<string, unknown>).paused = false;
    sim.objects.put(paused);
    sim.tick();
    expect(sim.objects.list('apps/v1', 'ReplicaSet', 'ml-prod')).toHaveLength(3);
    expect(progressing(sim)?.reason).toBe('NewReplicaSetAvailable');
  });

  it('bumps generation for spec changes only, and identical writes keep the resourceVersion', async () => {
    const sim = await demo();
    const d = get(sim);
    const same = sim.objects.put(d);
    expect(same.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    const labelled = sim.objects.put({
      ...d,
      metadata: { ...d.metadata, labels: { app: 'fraud-scorer', x: 'y' } },
    });
    expect(labelled.metadata.generation).toBe(d.metadata.generation);
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(d.metadata.resourceVersion));
    const scaled = sim.objects.put({ ...labelled, spec: { ...(labelled.spec as object), replicas: 4 } });
    expect(scaled.metadata.generation).toBe((d.metadata.generation ?? 0) + 1);
    expect(scaled.metadata.uid).toBe(d.metadata.uid);
  });
});

describe('kube-sim StatefulSet, DaemonSet and Job controllers', () => {
  it('moves a StatefulSet from currentRevision to updateRevision over ticks', async () => {
    const sim = await demo({ readyPerTick: 1 });
    sim.seed.statefulSet({
      namespace: 'ml-prod',
      name: 'features',
      replicas: 2,
      revisions: [{ image: 'f:1' }],
    });
    const before = get(sim, 'StatefulSet', 'features').status as Record<string, unknown>;
    expect(before).toMatchObject({ replicas: 2, readyReplicas: 2, updatedReplicas: 2 });
    expect(before.currentRevision).toBe(before.updateRevision);
    setImage(sim, 'f:2', 'StatefulSet', 'features');
    sim.tick();
    const mid = get(sim, 'StatefulSet', 'features').status as Record<string, unknown>;
    expect(mid).toMatchObject({
      updatedReplicas: 1,
      currentReplicas: 1,
      currentRevision: before.currentRevision,
    });
    expect(mid.updateRevision).not.toBe(before.updateRevision);
    sim.tick();
    const done = get(sim, 'StatefulSet', 'features').status as Record<string, unknown>;
    expect(done).toMatchObject({
      updatedReplicas: 2,
      currentReplicas: 2,
      currentRevision: mid.updateRevision,
    });
    const crs = sim.objects.list('apps/v1', 'ControllerRevision', 'ml-prod');
    expect(crs.map((c) => c.revision).sort()).toEqual([1, 2]);
    expect(crs[0]?.data).toMatchObject({ spec: { template: { $patch: 'replace' } } });
  });

  it('schedules a DaemonSet on every simulated node', async () => {
    const sim = await demo({ nodes: 4 });
    sim.seed.daemonSet({ namespace: 'ml-prod', name: 'agent', revisions: [{ image: 'a:1' }] });
    expect(get(sim, 'DaemonSet', 'agent').status).toMatchObject({
      desiredNumberScheduled: 4,
      updatedNumberScheduled: 4,
      numberAvailable: 4,
      numberReady: 4,
    });
  });

  it('starts a new Job on the next tick and finishes it on completeJob', async () => {
    const sim = await demo();
    sim.objects.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'retrain-1', namespace: 'ml-prod' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 't', image: 't:1' }] } } },
    });
    sim.tick();
    expect(get(sim, 'Job', 'retrain-1').status).toMatchObject({ active: 1 });
    sim.completeJob('ml-prod', 'retrain-1');
    const done = get(sim, 'Job', 'retrain-1').status as {
      succeeded: number;
      active?: number;
      conditions: Cond[];
    };
    expect(done.succeeded).toBe(1);
    expect(done.active).toBeUndefined();
    expect(done.conditions.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    sim.tick();
    expect(get(sim, 'Job', 'retrain-1').status).toMatchObject({ succeeded: 1 });
    sim.objects.put({
      ...get(sim, 'Job', 'retrain-1'),
      metadata: { name: 'retrain-2', namespace: 'ml-prod' },
    });
    const failed = sim.completeJob('ml-prod', 'retrain-2', 'failed').status as {
      failed: number;
      conditions: Cond[];
    };
    expect(failed.conditions.at(-1)).toMatchObject({ type: 'Failed', reason: 'BackoffLimitExceeded' });
  });
});
