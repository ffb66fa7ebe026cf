import { createHash } from 'node:crypto';
import type { KubeObject } from '../types.js';
import { rfc3339 } from '../util.js';
import { containersOf, type PodHealth } from './health.js';

type Cond = {
  type: string;
  status: string;
  lastProbeTime: null;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
};
type Status = Record<string, unknown>;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function statusOf(pod: KubeObject): Status {
  return (pod.status ?? {}) as Status;
}

/** Pod conditions in kubelet's order; a condition keeps its lastTransitionTime while its status holds. */
function conditions(
  prev: Status,
  now: number,
  spec: Array<[type: string, ok: boolean, reason?: string, message?: string]>,
): Cond[] {
  const before = (prev.conditions ?? []) as Cond[];
  return spec.map(([type, ok, reason, message]) => {
    const status = ok ? 'True' : 'False';
    const old = before.find((c) => c.type === type);
    const c: Cond = {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: old?.status === status ? old.lastTransitionTime : rfc3339(now),
    };
    if (reason !== undefined) c.reason = reason;
    if (message !== undefined) c.message = message;
    return c;
  });
}

const unready = (names: string[]) => `containers with unready status: [${names.join(' ')}]`;

/** kubelet's back-off for a crashing container: 10s doubling up to 5m. */
export function backoffSeconds(restarts: number): number {
  return Math.min(300, 10 * 2 ** Math.min(restarts, 5));
}

/** Go's time.Duration string for whole seconds: 10s, 1m20s, 5m0s. */
function goDuration(sec: number): string {
  return sec < 60 ? `${sec}s` : `${Math.floor(sec / 60)}m${sec % 60}s`;
}

/** Restarts since `since` on the simulator clock, given kubelet's back-off. */
function restartsSince(base: number, since: number, now: number): { count: number; last: number } {
  let count = base;
  let at = since;
  for (;;) {
    const next = at + backoffSeconds(count) * 1000;
    if (next > now || count - base > 10_000) return { count, last: at };
    count += 1;
    at = next;
  }
}

function hostFields(pod: KubeObject, nodeIP: string | undefined, podIP?: string): Status {
  const out: Status = {};
  if (nodeIP !== undefined) {
    out.hostIP = nodeIP;
    out.hostIPs = [{ ip: nodeIP }];
  }
  if (podIP !== undefined) {
    out.podIP = podIP;
    out.podIPs = [{ ip: podIP }];
  }
  out.startTime = statusOf(pod).startTime;
  return out;
}

function imageID(image: string): string {
  const repo = image.replace(/[:@][^/]*$/, '');
  return `${repo}@sha256:${sha(image)}`;
}

function containerID(pod: KubeObject, name: string, restart: number): string {
  return `containerd://${sha(`${pod.metadata.uid}/${name}/${restart}`)}`;
}

/** Scheduled, containers being created: what `kubectl get pods` shows as ContainerCreating. */
export function creatingStatus(pod: KubeObject, nodeIP: string | undefined, now: number): Status {
  const prev = statusOf(pod);
  const names = containersOf(pod).map((c) => c.name);
  return {
    phase: 'Pending',
    conditions: conditions(prev, now, [
      ['PodReadyToStartContainers', false],
      ['Initialized', true],
      ['Ready', false, 'ContainersNotReady', unready(names)],
      ['ContainersReady', false, 'ContainersNotReady', unready(names)],
      ['PodScheduled', true],
    ]),
    ...hostFields({ ...pod, status: { ...prev, startTime: prev.startTime ?? rfc3339(now) } }, nodeIP),
    containerStatuses: containersOf(pod).map((c) => ({
      name: c.name,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image ?? '',
      imageID: '',
      started: false,
    })),
    qosClass: 'BestEffort',
  };
}

/** No node can take the pod: PodScheduled=False, as the default scheduler reports it. */
export function unschedulableStatus(pod: KubeObject, nodes: number, now: number): Status {
  const message =
    nodes === 0
      ? 'no nodes available to schedule pods'
      : `0/${nodes} nodes are available: ${nodes} node(s) were unschedulable. preemption: 0/${nodes} nodes are available: ${nodes} Preemption is not helpful for scheduling.`;
  return {
    phase: 'Pending',
    conditions: conditions(statusOf(pod), now, [['PodScheduled', false, 'Unschedulable', message]]),
    qosClass: 'BestEffort',
  };
}

export type Started = { nodeIP: string | undefined; podIP: string; since: number; health: PodHealth };

/** A pod whose containers kubelet has started, as its health makes them look at `now`. */
export function runningStatus(pod: KubeObject, s: Started, now: number): Status {
  const prev = statusOf(pod);
  const containers = containersOf(pod);
  const names = containers.map((c) => c.name);
  const h = s.health;
  const startedAt = rfc3339(s.since);
  const ready = h.state === 'healthy';
  const pending = h.state === 'waiting';
  const crash = h.state === 'crashLoop' ? restartsSince(h.restartCount ?? 0, s.since, now) : undefined;
  const statuses = containers.map((c) => {
    const base = { name: c.name, image: c.image ?? '', imageID: pending ? '' : imageID(c.image ?? '') };
    if (h.state === 'waiting') {
      const waiting: Record<string, string> = { reason: h.reason };
      if (h.message !== undefined) waiting.message = h.message;
      return { ...base, state: { waiting }, lastState: {}, ready: false, restartCount: 0, started: false };
    }
    if (h.state === 'crashLoop' && crash !== undefined) {
      const finished = crash.last;
      const terminated: Record<string, unknown> = {
        exitCode: h.exitCode ?? 1,
        reason: h.reason ?? 'Error',
        startedAt: rfc3339(Math.max(s.since, finished - 1000)),
        finishedAt: rfc3339(finished),
        containerID: containerID(pod, c.name, crash.count),
      };
      if (h.message !== undefined) terminated.message = h.message;
      const backoff = goDuration(backoffSeconds(crash.count));
      return {
        ...base,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${backoff} restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
          },
        },
        lastState: { terminated },
        ready: false,
        restartCount: crash.count,
        started: false,
        containerID: containerID(pod, c.name, crash.count),
      };
    }
    return {
      ...base,
      state: { running: { startedAt } },
      lastState: {},
      ready,
      restartCount: 0,
      started: true,
      containerID: containerID(pod, c.name, 0),
    };
  });
  const notReady: [string, string] = ['ContainersNotReady', unready(names)];
  return {
    phase: pending ? 'Pending' : 'Running',
    conditions: conditions(prev, now, [
      ['PodReadyToStartContainers', !pending],
      ['Initialized', true],
      ['Ready', ready, ...(ready ? [] : notReady)] as [string, boolean, string?, string?],
      ['ContainersReady', ready, ...(ready ? [] : notReady)] as [string, boolean, string?, string?],
      ['PodScheduled', true],
    ]),
    ...hostFields(pod, s.nodeIP, pending ? undefined : s.podIP),
    containerStatuses: statuses,
    qosClass: 'BestEffort',
  };
}

/** A pod whose containers ran to completion (Job pods): Succeeded with exit 0, or Failed with exit 1. */
export function terminatedStatus(pod: KubeObject, outcome: 'Succeeded' | 'Failed', now: number): Status {
  const prev = statusOf(pod);
  const ok = outcome === 'Succeeded';
  const reason = ok ? 'PodCompleted' : 'PodFailed';
  const previous = (prev.containerStatuses ?? []) as Array<{
    name: string;
    state?: { running?: { startedAt?: string } };
  }>;
  return {
    phase: outcome,
    conditions: conditions(prev, now, [
      ['PodReadyToStartContainers', false],
      ['Initialized', true, reason],
      ['Ready', false, reason],
      ['ContainersReady', false, reason],
      ['PodScheduled', true],
    ]),
    hostIP: prev.hostIP,
    hostIPs: prev.hostIPs,
    podIP: prev.podIP,
    podIPs: prev.podIPs,
    startTime: prev.startTime,
    containerStatuses: containersOf(pod).map((c) => ({
      name: c.name,
      state: {
        terminated: {
          exitCode: ok ? 0 : 1,
          reason: ok ? 'Completed' : 'Error',
          startedAt:
            previous.find((p) => p.name === c.name)?.state?.running?.startedAt ??
            prev.startTime ??
            rfc3339(now),
          finishedAt: rfc3339(now),
          containerID: containerID(pod, c.name, 0),
        },
      },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: c.image ?? '',
      imageID: imageID(c.image ?? ''),
      started: false,
      containerID: containerID(pod, c.name, 0),
    })),
    qosClass: 'BestEffort',
  };
}

export function isReady(pod: KubeObject): boolean {
  const conds = (statusOf(pod).conditions ?? []) as Cond[];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isTerminal(pod: KubeObject): boolean {
  const phase = statusOf(pod).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Scheduled and waiting for its containers to be created (the controller has not let it start yet). */
export function isCreating(pod: KubeObject): boolean {
  const cs = (statusOf(pod).containerStatuses ?? []) as Array<{ state?: { waiting?: { reason?: string } } }>;
  return (
    statusOf(pod).phase === 'Pending' &&
    cs.length > 0 &&
    cs.every((c) => c.state?.waiting?.reason === 'ContainerCreating')
  );
}

export function nodeNameOf(pod: KubeObject): string | undefined {
  const n = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  return n === undefined || n === '' ? undefined : n;
}
