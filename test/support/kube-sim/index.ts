import type { AddressInfo } from 'node:net';
import { runCronJob } from './controllers/cronjob.js';
import { syncDeployment } from './controllers/deployment.js';
import { type ControllerEnv, stallKey } from './controllers/env.js';
import { runControllers } from './controllers/index.js';
import { finishJob, type JobOutcome, type JobOutcomeRule } from './controllers/job.js';
import { syncDaemonSet, syncStatefulSet } from './controllers/revisions.js';
import { type Faults, FaultTable } from './faults.js';
import { deleteWithDependents } from './gc.js';
import { type KubeconfigOptions, writeKubeconfig } from './kubeconfig.js';
import { prepareWrite } from './lifecycle.js';
import { newHealthRules, type PodHealth } from './pods/health.js';
import { runKubelets } from './pods/kubelet-pass.js';
import { makeNode } from './pods/nodes.js';
import { refreshPod } from './pods/pod-ops.js';
import { findByKind } from './resources.js';
import { makeSeeds, type Seeds } from './seed.js';
import { createApiServer } from './server.js';
import { ObjectStore } from './store.js';
import type { KubeObject, KubeSimOptions, RecordedRequest } from './types.js';
import { randomSuffix, seededSuffix } from './util.js';
import { listView, readView, toStored } from './views.js';

export type { JobOutcome, JobOutcomeRule } from './controllers/job.js';
export type { FaultMatch, Faults } from './faults.js';
export type { PodHealth } from './pods/health.js';
export { demoReleasedAgoMs, releaseClock } from './release-clock.js';
export { scenarioDemo } from './scenario-demo.js';
export {
  KUBE_PROMETHEUS_SEED,
  RETRAIN_SCHEDULED_AT,
  scenarioKubePrometheus,
} from './scenario-kube-prometheus.js';
export type {
  SeedCronJob,
  SeedDaemonSet,
  SeedDeployment,
  SeedHpa,
  SeedRevision,
  SeedStatefulSet,
} from './seed.js';
export type { KubeObject, KubeSimOptions, ObjectMeta, OwnerReference, RecordedRequest } from './types.js';

export type KubeSimObjects = {
  /** Create or replace; sets uid, resourceVersion, generation and creationTimestamp (and server defaults). */
  put(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** Deletes like the garbage collector would (dependents go too). */
  delete(apiVersion: string, kind: string, namespace: string, name: string): boolean;
};

export type KubeSim = {
  url: string;
  token: string;
  writeKubeconfig(dir: string, opts?: KubeconfigOptions): string;
  objects: KubeSimObjects;
  requests: RecordedRequest[];
  mutations(): RecordedRequest[];
  faults: Faults;
  tick(): void;
  seed: Seeds;
  /** Ends every open watch stream, as an API server restart or a load balancer does; clients re-watch. */
  closeWatches(): void;
  /** The next (or current unfinished) rollout of this Deployment never completes. kind: StatefulSet|DaemonSet too. */
  stall(namespace: string, name: string, kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet'): void;
  unstall(namespace: string, name: string, kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet'): void;
  /**
   * Its controller stops syncing this object (metadata.generation runs ahead of status.observedGeneration), as
   * when the controller cannot process it; `thaw` resumes. kind: Deployment, StatefulSet, DaemonSet, Job, ...
   */
  freeze(namespace: string, name: string, kind: string): void;
  thaw(namespace: string, name: string, kind: string): void;
  /** Finish a Job as the Job controller would (status, Complete/Failed conditions, its pods). */
  completeJob(namespace: string, name: string, outcome?: JobOutcome): KubeObject;
  /** Jobs the rule names (now and later) finish with its outcome on the tick after they start. */
  jobOutcome(rule: JobOutcomeRule): void;
  /** The CronJob controller's run scheduled at `at` (default the simulator's now): the new Job `<name>-<minutes>`. */
  runCronJob(namespace: string, name: string, at?: number): KubeObject;
  /** What pods' containers do once kubelet starts them (default: healthy). */
  pods: {
    /** This pod behaves as `health` from now on, until it is replaced. Returns the pod as kubelet reports it. */
    setHealth(namespace: string, name: string, health: PodHealth): KubeObject;
    /** Every pod running `image`, now and later, behaves as `health` (a bad release); undefined clears it. */
    setImageHealth(image: string, health: PodHealth | undefined): void;
  };
  close(): Promise<void>;
};

function resourceFor(apiVersion: string, kind: string) {
  const r = findByKind(apiVersion, kind);
  if (r === undefined) throw new Error(`kube-sim does not serve ${apiVersion} ${kind}`);
  return r;
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const now = options.now ?? Date.now;
  const token = options.token ?? 'kube-sim-token';
  const store = new ObjectStore(options.historyLimit);
  const faults = new FaultTable();
  const requests: RecordedRequest[] = [];
  const openWatches = new Set<() => void>();
  const env: ControllerEnv = {
    store,
    now,
    readyPerTick: options.readyPerTick ?? Number.POSITIVE_INFINITY,
    health: newHealthRules(),
    suffix: options.randomSeed === undefined ? randomSuffix : seededSuffix(options.randomSeed),
    frozen: new Set(),
    jobOutcomes: [],
    stalls: new Map(),
    memo: new Map(),
  };
  const objects: KubeSimObjects = {
    put(obj) {
      const r = resourceFor(obj.apiVersion, obj.kind);
      const ns = r.namespaced ? (obj.metadata.namespace ?? 'default') : '';
      if (r.namespaced && readView(store, resourceFor('v1', 'Namespace'), '', ns) === undefined) {
        objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      }
      const view = { ...obj, metadata: { ...obj.metadata, namespace: r.namespaced ? ns : undefined } };
      const stored = toStored(r, view);
      const old = store.get(stored.apiVersion, stored.kind, ns, obj.metadata.name ?? '');
      const saved = store.save(prepareWrite(old, stored, now())).object;
      return readView(store, r, ns, saved.metadata.name ?? '') as KubeObject;
    },
    get: (apiVersion, kind, namespace, name) => {
      const r = resourceFor(apiVersion, kind);
      return readView(store, r, r.namespaced ? namespace : '', name);
    },
    list: (apiVersion, kind, namespace) => listView(store, resourceFor(apiVersion, kind), namespace),
    delete(apiVersion, kind, namespace, name) {
      const r = resourceFor(apiVersion, kind);
      const found = readView(store, r, r.namespaced ? namespace : '', name);
      if (found === undefined) return false;
      deleteWithDependents(store, toStored(r, found), 'Background', now());
      return true;
    },
  };
  for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }
  for (let i = 1; i <= (options.nodes ?? 3); i++) objects.put(makeNode(i, now()));
  const server = createApiServer({
    store,
    faults,
    requests,
    now,
    token,
    requireAuth: options.requireAuth ?? false,
    openWatches,
    bookmarkMs: options.watchBookmarkMs ?? 60_000,
    serverAddress: () => `127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tickMs = options.tickMs ?? 50;
  const timer =
    tickMs > 0
      ? setInterval(() => {
          try {
            runControllers(env);
          } catch (err) {
            console.error('kube-sim: controller pass failed', err);
          }
        }, tickMs)
      : undefined;
  timer?.unref();
  const settleEnv: ControllerEnv = { ...env, readyPerTick: Number.POSITIVE_INFINITY, stalls: new Map() };
  const settle = (kind: string, namespace: string, name: string) => {
    const obj = store.get('apps/v1', kind, namespace, name);
    if (obj === undefined) return;
    if (kind === 'Deployment') syncDeployment(settleEnv, obj);
    if (kind === 'StatefulSet') syncStatefulSet(settleEnv, obj);
    if (kind === 'DaemonSet') syncDaemonSet(settleEnv, obj);
    runKubelets(settleEnv);
  };
  return {
    url,
    token,
    writeKubeconfig: (dir, opts) => writeKubeconfig(dir, url, token, opts),
    objects,
    requests,
    mutations: () => requests.filter((r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method)),
    faults: faults.api(),
    tick: () => runControllers(env),
    closeWatches() {
      for (const close of [...openWatches]) close();
    },
    seed: makeSeeds({ put: objects.put, get: objects.get, settle }),
    stall: (namespace, name, kind = 'Deployment') => {
      env.stalls.set(stallKey(kind, namespace, name), {});
    },
    unstall: (namespace, name, kind = 'Deployment') => {
      env.stalls.delete(stallKey(kind, namespace, name));
    },
    freeze: (namespace, name, kind) => {
      env.frozen.add(stallKey(kind, namespace, name));
    },
    thaw: (namespace, name, kind) => {
      env.frozen.delete(stallKey(kind, namespace, name));
    },
    completeJob(namespace, name, outcome = 'succeeded') {
      const job = store.get('batch/v1', 'Job', namespace, name);
      if (job === undefined) throw new Error(`kube-sim: no Job ${namespace}/${name}`);
      return finishJob(env, job, outcome);
    },
    jobOutcome(rule) {
      env.jobOutcomes.unshift(rule);
    },
    runCronJob(namespace, name, at) {
      const cj = store.get('batch/v1', 'CronJob', namespace, name);
      if (cj === undefined) throw new Error(`kube-sim: no CronJob ${namespace}/${name}`);
      return runCronJob(env, cj, at);
    },
    pods: {
      setHealth(namespace, name, health) {
        const pod = store.get('v1', 'Pod', namespace, name);
        if (pod === undefined) throw new Error(`kube-sim: no Pod ${namespace}/${name}`);
        env.health.pods.set(pod.metadata.uid ?? '', { ...health, since: now() });
        return refreshPod(env, pod);
      },
      setImageHealth(image, health) {
        if (health === undefined) env.health.images.delete(image);
        else env.health.images.set(image, health);
        for (const pod of store.list('v1', 'Pod')) refreshPod(env, pod);
      },
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      for (const close of [...openWatches]) close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
