import { type ControllerEnv, controllerRef } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { isCreating, isReady, isTerminal, nodeNameOf, statusOf } from './kubelet.js';
import { startedAt, startPod, terminatePod } from './pod-ops.js';

/** Pods whose controller is `owner` (by uid) and that are not terminating (FilterActivePods), oldest first. */
export function podsOf(env: ControllerEnv, owner: KubeObject): KubeObject[] {
  return env.store
    .list('v1', 'Pod', owner.metadata.namespace ?? '')
    .filter((p) => controllerRef(p)?.uid === owner.metadata.uid && p.metadata.deletionTimestamp === undefined)
    .sort(
      (a, b) =>
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
        Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion),
    );
}

/**
 * controller.ActivePodsWithRanks, simplified: which pods a scale-down deletes first. Unscheduled before scheduled,
 * Pending before Running, not ready before ready, more restarts first, newer before older.
 */
function deletionRank(env: ControllerEnv, p: KubeObject): number[] {
  const restarts = ((statusOf(p).containerStatuses ?? []) as Array<{ restartCount?: number }>).reduce(
    (n, c) => n + (c.restartCount ?? 0),
    0,
  );
  return [
    nodeNameOf(p) === undefined ? 0 : 1,
    statusOf(p).phase === 'Pending' ? 0 : 1,
    isReady(p) ? 1 : 0,
    -restarts,
    -(startedAt(env, p) ?? Number.MAX_SAFE_INTEGER),
  ];
}

export function pickForDeletion(env: ControllerEnv, pods: KubeObject[], n: number): KubeObject[] {
  const ranked = pods.map((p) => ({ p, r: deletionRank(env, p) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < a.r.length; i++) {
      const d = (a.r[i] ?? 0) - (b.r[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  return ranked.slice(0, n).map((x) => x.p);
}

/** Graceful deletes (pods with generated names only: a StatefulSet re-uses the name at once). */
export function terminateAll(env: ControllerEnv, pods: KubeObject[]): void {
  for (const p of pods) terminatePod(env, p);
}

/** Starts pods whose containers are being created, at most `budget` of them over its life. */
export function budgetedStarter(env: ControllerEnv, budget: number): (pod: KubeObject) => KubeObject {
  let left = budget;
  return (pod) => {
    if (left <= 0 || !isCreating(pod)) return pod;
    left -= 1;
    return startPod(env, pod);
  };
}

/** Lets up to `budget` pods whose containers are being created start; returns the pods as they are now. */
export function startSome(env: ControllerEnv, pods: KubeObject[], budget: number): KubeObject[] {
  return pods.map(budgetedStarter(env, budget));
}

export type PodCounts = { replicas: number; ready: number };

export function countPods(pods: KubeObject[]): PodCounts {
  const live = pods.filter((p) => !isTerminal(p));
  return { replicas: live.length, ready: live.filter(isReady).length };
}
