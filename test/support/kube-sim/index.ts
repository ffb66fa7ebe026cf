import type { AddressInfo } from 'node:net';
import { syncDeployment } from './controllers/deployment.js';
import { type ControllerEnv, stallKey } from './controllers/env.js';
import { runControllers } from './controllers/index.js';
import { finishJob, type JobOutcome } from './controllers/job.js';
import { syncDaemonSet, syncStatefulSet } from './controllers/revisions.js';
import { type Faults, FaultTable } from './faults.js';
import { deleteWithDependents } from './gc.js';
import { type KubeconfigOptions, writeKubeconfig } from './kubeconfig.js';
import { prepareWrite } from './lifecycle.js';
import { findByKind } from './resources.js';
import { makeSeeds, type Seeds } from './seed.js';
import { createApiServer } from './server.js';
import { ObjectStore } from './store.js';
import type { KubeObject, KubeSimOptions, RecordedRequest } from './types.js';
import { listView, readView, toStored } from './views.js';

export type { FaultMatch, Faults } from './faults.js';
export { demoReleasedAgoMs, releaseClock } from './release-clock.js';
export { scenarioDemo } from './scenario-demo.js';
export type { SeedCronJob, SeedDaemonSet, SeedDeployment, SeedRevision, SeedStatefulSet } from './seed.js';
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
  /** The next (or current unfinished) rollout of this Deployment never completes. kind: StatefulSet|DaemonSet too. */
  stall(namespace: string, name: string, kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet'): void;
  unstall(namespace: string, name: string, kind?: 'Deployment' | 'StatefulSet' | 'DaemonSet'): void;
  /** Finish a Job as the Job controller would (status, Complete/Failed conditions). */
  completeJob(namespace: string, name: string, outcome?: JobOutcome): KubeObject;
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
    nodes: options.nodes ?? 3,
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
  const server = createApiServer({
    store,
    faults,
    requests,
    now,
    token,
    requireAuth: options.requireAuth ?? false,
    openWatches,
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
    seed: makeSeeds({ put: objects.put, get: objects.get, settle }),
    stall: (namespace, name, kind = 'Deployment') => {
      env.stalls.set(stallKey(kind, namespace, name), {});
    },
    unstall: (namespace, name, kind = 'Deployment') => {
      env.stalls.delete(stallKey(kind, namespace, name));
    },
    completeJob(namespace, name, outcome = 'succeeded') {
      const job = store.get('batch/v1', 'Job', namespace, name);
      if (job === undefined) throw new Error(`kube-sim: no Job ${namespace}/${name}`);
      return finishJob(env, job, outcome);
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
