import { type ControllerEnv, controllerRef } from '../controllers/env.js';
import { isCreating, isTerminal, statusOf } from './kubelet.js';
import { deletePod, refreshPod, retrySchedule, startedAt, startPod } from './pod-ops.js';

// Controllers that pace their own pods' start (readyPerTick, stalled rollouts).
const PACED = new Set(['ReplicaSet', 'StatefulSet', 'DaemonSet']);

function isUnscheduled(pod: Parameters<typeof statusOf>[0]): boolean {
  const conds = (statusOf(pod).conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => c.type === 'PodScheduled' && c.status === 'False');
}

/**
 * The scheduler and every node's kubelet, once per tick: place pods nobody could place yet, start pods whose
 * controller does not pace them (bare pods, Job pods), and refresh the status of running pods from their health on
 * the simulator clock; remove terminating pods. Pods put with a status of their own and never started here are left as they are.
 */
export function runKubelets(env: ControllerEnv): void {
  for (const pod of env.store.list('v1', 'Pod')) {
    // Terminating pods are gone by the next pass, as if their grace period had run out.
    if (pod.metadata.deletionTimestamp !== undefined) {
      deletePod(env, pod);
      continue;
    }
    if (isTerminal(pod)) continue;
    if (statusOf(pod).phase === undefined || isUnscheduled(pod)) {
      const placed = retrySchedule(env, pod);
      if (isCreating(placed) && !PACED.has(controllerRef(placed)?.kind ?? '')) startPod(env, placed);
      continue;
    }
    if (startedAt(env, pod) !== undefined) refreshPod(env, pod);
    else if (isCreating(pod) && !PACED.has(controllerRef(pod)?.kind ?? '')) startPod(env, pod);
  }
}
