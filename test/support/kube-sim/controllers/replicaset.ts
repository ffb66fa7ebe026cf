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
 * One tick of the ReplicaSet controller: pods exist at once (status.replicas = spec.replicas) and `k` more become
 * ready and available, none while `stalled`. Scaling down takes effect at once.
 */
export function advanceReplicaSet(rs: KubeObject, k: number, stalled: boolean): KubeObject {
  const out = clone(rs);
  const want = num(specOf(rs).replicas ?? 1);
  const ready = num(statusOf(rs).readyReplicas);
  const next = ready > want ? want : stalled ? ready : Math.min(want, ready + k);
  out.status = omitZero(
    {
      replicas: want,
      fullyLabeledReplicas: want,
      readyReplicas: next,
      availableReplicas: next,
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
    write(env, advanceReplicaSet(rs, env.readyPerTick, false));
  }
}
