import { type ControllerEnv, ownerRefTo, write } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { clone, rfc3339 } from '../util.js';
import { recordPodEvent } from './events.js';
import { healthOf } from './health.js';
import {
  creatingStatus,
  isCreating,
  nodeNameOf,
  runningStatus,
  statusOf,
  unschedulableStatus,
} from './kubelet.js';
import { isSchedulable, nodeIP } from './nodes.js';

type Template = {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: unknown;
};

export type PodShape = {
  /** Exact name (StatefulSet) or, when absent, generateName `<owner>-` (createPod adds 5 random characters). */
  name?: string;
  /** Labels the controller adds to the template's (pod-template-hash, controller-revision-hash, ...). */
  labels?: Record<string, string>;
  /** Bound to this node already (DaemonSet pods); otherwise the scheduler picks one. */
  nodeName?: string;
  /** Pod spec fields the controller sets (hostname, subdomain, affinity, tolerations). */
  spec?: Record<string, unknown>;
  finalizers?: string[];
};

export function nodesOf(env: ControllerEnv): KubeObject[] {
  return env.store.list('v1', 'Node');
}

/** controller.GetPodFromTemplate: template labels/annotations, a controller reference, the template's spec. */
export function podFromTemplate(owner: KubeObject, template: unknown, shape: PodShape): KubeObject {
  const t = clone(template ?? {}) as Template;
  const spec = { ...((t.spec ?? {}) as Record<string, unknown>), ...shape.spec };
  if (shape.nodeName !== undefined) spec.nodeName = shape.nodeName;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(shape.name === undefined ? {} : { name: shape.name }),
      namespace: owner.metadata.namespace,
      labels: { ...t.metadata?.labels, ...shape.labels },
      ownerReferences: [ownerRefTo(owner)],
    },
    spec,
  };
  if (shape.name === undefined) pod.metadata.generateName = `${owner.metadata.name}-`;
  if (t.metadata?.annotations !== undefined) pod.metadata.annotations = t.metadata.annotations;
  if (shape.finalizers !== undefined) pod.metadata.finalizers = shape.finalizers;
  return pod;
}

/** The default scheduler: the schedulable node with the fewest pods, or PodScheduled=False. */
function schedule(env: ControllerEnv, pod: KubeObject): KubeObject {
  const nodes = nodesOf(env);
  const candidates = nodes.filter(isSchedulable);
  if (candidates.length === 0) {
    return { ...pod, status: unschedulableStatus(pod, nodes.length, env.now()) };
  }
  const load = new Map<string, number>();
  for (const p of env.store.list('v1', 'Pod')) {
    const n = nodeNameOf(p);
    if (n !== undefined) load.set(n, (load.get(n) ?? 0) + 1);
  }
  const best = [...candidates].sort(
    (a, b) => (load.get(a.metadata.name ?? '') ?? 0) - (load.get(b.metadata.name ?? '') ?? 0),
  )[0] as KubeObject;
  return { ...pod, spec: { ...(pod.spec as object), nodeName: best.metadata.name } };
}

/** A new pod (scheduled, containers being created), as the controller posts it and the scheduler binds it. */
export function createPod(env: ControllerEnv, pod: KubeObject): KubeObject {
  const named =
    pod.metadata.name === undefined
      ? { ...pod, metadata: { ...pod.metadata, name: `${pod.metadata.generateName}${env.suffix(5)}` } }
      : pod;
  const bound = nodeNameOf(named) === undefined ? schedule(env, named) : named;
  return admit(env, bound);
}

/** Scheduled pods enter ContainerCreating (and the scheduler says so); unschedulable ones stay Pending. */
function admit(env: ControllerEnv, pod: KubeObject): KubeObject {
  const node = nodeNameOf(pod);
  if (node === undefined) return write(env, pod);
  const host = env.store.get('v1', 'Node', '', node);
  const saved = write(env, { ...pod, status: creatingStatus(pod, nodeIP(host), env.now()) });
  recordPodEvent(env, saved, {
    type: 'Normal',
    reason: 'Scheduled',
    message: `Successfully assigned ${saved.metadata.namespace}/${saved.metadata.name} to ${node}`,
    component: 'default-scheduler',
  });
  return saved;
}

/** Schedules a pod nobody placed yet (or admits one created already bound to a node). */
export function retrySchedule(env: ControllerEnv, pod: KubeObject): KubeObject {
  const placed = nodeNameOf(pod) === undefined ? schedule(env, pod) : pod;
  return nodeNameOf(placed) === undefined ? write(env, placed) : admit(env, placed);
}

function allocatePodIP(env: ControllerEnv, node: KubeObject | undefined): string {
  const cidr = (node?.spec as { podCIDR?: string } | undefined)?.podCIDR ?? '10.244.0.0/24';
  const prefix = cidr.split('.').slice(0, 3).join('.');
  const key = `podip/${prefix}`;
  const next = Number(env.memo.get(key) ?? 1) + 1;
  env.memo.set(key, String(next));
  return `${prefix}.${next % 254}`;
}

const startKey = (pod: KubeObject) => `started/${pod.metadata.uid}`;

export function startedAt(env: ControllerEnv, pod: KubeObject): number | undefined {
  const v = env.memo.get(startKey(pod));
  return v === undefined ? undefined : Number(v);
}

/** kubelet starts the containers of a scheduled pod; what they do next is the pod's health. */
export function startPod(env: ControllerEnv, pod: KubeObject): KubeObject {
  if (!isCreating(pod)) return pod;
  const now = env.now();
  env.memo.set(startKey(pod), String(now));
  const node = env.store.get('v1', 'Node', '', nodeNameOf(pod) ?? '');
  env.memo.set(`podip/${pod.metadata.uid}`, allocatePodIP(env, node));
  const saved = refreshPod(env, pod);
  for (const c of (pod.spec as { containers?: Array<{ name: string; image?: string }> }).containers ?? []) {
    const where = `spec.containers{${c.name}}`;
    if (healthOf(env.health, pod).health.state === 'waiting') continue;
    const ev = (reason: string, message: string) =>
      recordPodEvent(env, saved, { type: 'Normal', reason, message, component: 'kubelet', fieldPath: where });
    ev('Pulled', `Container image "${c.image}" already present on machine`);
    ev('Created', `Created container ${c.name}`);
    ev('Started', `Started container ${c.name}`);
  }
  return saved;
}

/** kubelet's status for a started pod at the simulator's `now` (restart counts grow with time). */
export function refreshPod(env: ControllerEnv, pod: KubeObject): KubeObject {
  const since = startedAt(env, pod);
  if (since === undefined) return pod;
  const { health, since: healthSince } = healthOf(env.health, pod);
  const node = env.store.get('v1', 'Node', '', nodeNameOf(pod) ?? '');
  const status = runningStatus(
    pod,
    {
      nodeIP: nodeIP(node),
      podIP: env.memo.get(`podip/${pod.metadata.uid}`) ?? '',
      since: Math.max(since, healthSince ?? since),
      health,
    },
    env.now(),
  );
  const before = JSON.stringify(statusOf(pod).containerStatuses ?? []);
  const saved = write(env, { ...pod, status });
  if (JSON.stringify(status.containerStatuses) !== before) warnAbout(env, saved);
  return saved;
}

/** The Warning events kubelet records while a container is unwell. */
function warnAbout(env: ControllerEnv, pod: KubeObject): void {
  const { health } = healthOf(env.health, pod);
  for (const c of (pod.spec as { containers?: Array<{ name: string; image?: string }> }).containers ?? []) {
    const fieldPath = `spec.containers{${c.name}}`;
    const warn = (reason: string, message: string) =>
      recordPodEvent(env, pod, { type: 'Warning', reason, message, component: 'kubelet', fieldPath });
    if (health.state === 'crashLoop') warn('BackOff', 'Back-off restarting failed container');
    if (health.state === 'notReady')
      warn(
        'Unhealthy',
        `Readiness probe failed: ${health.message ?? 'HTTP probe failed with statuscode: 503'}`,
      );
    if (health.state === 'waiting') warn('Failed', `Error: ${health.reason}`);
  }
}

/**
 * A controller's delete: the pod is Terminating (deletionTimestamp set, grace period 30s) until the next kubelet
 * pass removes it, so watchers see it go as on a cluster. Controllers no longer count it.
 */
export function terminatePod(env: ControllerEnv, pod: KubeObject): void {
  if (pod.metadata.deletionTimestamp !== undefined) return;
  const grace = Number(
    (pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30,
  );
  write(env, {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: rfc3339(env.now() + grace * 1000),
      deletionGracePeriodSeconds: grace,
    },
  });
}

/** Removes a pod at once and forgets kubelet's bookkeeping of it. */
export function deletePod(env: ControllerEnv, pod: KubeObject): void {
  env.store.remove('v1', 'Pod', pod.metadata.namespace ?? '', pod.metadata.name ?? '');
  env.memo.delete(startKey(pod));
  env.memo.delete(`podip/${pod.metadata.uid}`);
  env.health.pods.delete(pod.metadata.uid ?? '');
}
