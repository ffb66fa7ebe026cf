import { prepareWrite } from '../lifecycle.js';
import type { HealthRules } from '../pods/health.js';
import type { ObjectStore } from '../store.js';
import type { KubeObject, OwnerReference } from '../types.js';
import type { JobOutcomeRule } from './job.js';

export type Stall = { bound?: string };

export type ControllerEnv = {
  store: ObjectStore;
  now: () => number;
  readyPerTick: number;
  /** What the simulated kubelet makes of pods (scenario-set per pod or per image). */
  health: HealthRules;
  /** How Jobs end without a test calling finishJob (scenario-set). */
  jobOutcomes: JobOutcomeRule[];
  /** Rollouts that must not progress, keyed `Kind/namespace/name`; bound to the rollout they caught. */
  stalls: Map<string, Stall>;
  /** The 5 random characters generateName adds (seeded for reproducible scenarios). */
  suffix: (n: number) => string;
  /** Objects whose controller does nothing (`Kind/namespace/name`): a controller that cannot sync them. */
  frozen: Set<string>;
  /** Controller bookkeeping that real controllers keep in their caches, not in the objects. */
  memo: Map<string, string>;
};

/** A controller's write: server-side bookkeeping (generation, defaults) applies as for API writes. */
export function write(env: ControllerEnv, obj: KubeObject): KubeObject {
  const old = env.store.get(obj.apiVersion, obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  return env.store.save(prepareWrite(old, obj, env.now())).object;
}

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function ownedBy(objs: KubeObject[], uid: string | undefined): KubeObject[] {
  return objs.filter((o) => controllerRef(o)?.uid === uid);
}

export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Drops zero-valued fields the API types mark omitempty. */
export function omitZero<T extends Record<string, unknown>>(o: T, keys: string[]): T {
  for (const k of keys) if (o[k] === 0 || o[k] === undefined) delete o[k];
  return o;
}

export function stallKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Whether the rollout identified by `rolloutId` is stalled; binds a pending stall to an unfinished rollout. */
export function isStalled(env: ControllerEnv, key: string, rolloutId: string, finished: boolean): boolean {
  const stall = env.stalls.get(key);
  if (stall === undefined) return false;
  if (stall.bound === undefined && !finished) stall.bound = rolloutId;
  if (stall.bound !== undefined && stall.bound !== rolloutId) {
    // A newer rollout replaced the stalled one: it runs normally.
    env.stalls.delete(key);
    return false;
  }
  return stall.bound === rolloutId;
}
