import { syncReplicaSetPods } from '../pods/replicaset-pods.js';
import type { KubeObject } from '../types.js';
import { clone } from '../util.js';
import { type ControllerEnv, controllerRef, omitZero, write } from './env.js';

export function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

export function specOf(o: KubeObject): Record<string, unknown> {
  return (o.spec ?? {}) as Record<string, unknown>;
}

export function statusOf(o: KubeObject): Record<string, unknown> {
  return (o.status ?? {}) as Record<string, unknown>;
}

/**
 * One tick of the ReplicaSet controller: its pods follow spec.replicas (pods/replicaset-pods.ts), up to `k` new ones
 * start, none while `stalled`; status counts the pods as they are.
 */
export function advanceReplicaSet(
  env: ControllerEnv,
  rs: KubeObject,
  k: number,
  stalled: boolean,
): KubeObject {
  const out = clone(rs);
  const pods = syncReplicaSetPods(env, rs, k, stalled);
  out.status = omitZero(
    {
      replicas: pods.replicas,
      fullyLabeledReplicas: pods.replicas,
      readyReplicas: pods.ready,
      availableReplicas: pods.ready,
      observedGeneration: rs.metadata.generation ?? 1,
    },
    ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
  );
  return out;
}

/** ReplicaSets nobody controls get their pods straight from the ReplicaSet controller. */
export function syncOrphanReplicaSets(env: ControllerEnv): void {
  for (const rs of env.store.list('apps/v1', 'ReplicaSet')) {
    if (controllerRef(rs)?.kind === 'Deployment') continue;
    write(env, advanceReplicaSet(env, rs, env.readyPerTick, false));
  }
}
