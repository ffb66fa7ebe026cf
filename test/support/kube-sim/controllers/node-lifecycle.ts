import type { KubeObject } from '../types.js';
import { clone, rfc3339 } from '../util.js';
import { type ControllerEnv, write } from './env.js';

/** The taint the node lifecycle controller keeps on a cordoned Node; the scheduler honours it. */
export const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

type Taint = { key: string; value?: string; effect: string; timeAdded?: string };

/**
 * The node lifecycle controller's TaintNodesByCondition for cordons: a Node whose spec.unschedulable is true
 * gets the `node.kubernetes.io/unschedulable:NoSchedule` taint (with timeAdded), and loses it once uncordoned.
 * What `kubectl cordon` leaves on a real cluster a moment after its PATCH.
 */
export function syncNodeTaints(env: ControllerEnv, node: KubeObject): void {
  const spec = (node.spec ?? {}) as { unschedulable?: boolean; taints?: Taint[] };
  const taints = spec.taints ?? [];
  const has = taints.some((t) => t.key === unschedulableTaint.key && t.effect === unschedulableTaint.effect);
  const wanted = spec.unschedulable === true;
  if (has === wanted) return;
  const next = wanted
    ? [...taints, { ...unschedulableTaint, timeAdded: rfc3339(env.now()) }]
    : taints.filter((t) => !(t.key === unschedulableTaint.key && t.effect === unschedulableTaint.effect));
  const updated = clone(node);
  const { taints: _old, ...rest } = spec;
  updated.spec = next.length === 0 ? rest : { ...rest, taints: next };
  write(env, updated);
}
