import type { ControllerEnv } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { countPods, type PodCounts, pickForDeletion, podsOf, startSome, terminateAll } from './owned.js';
import { createPod, podFromTemplate } from './pod-ops.js';

/**
 * The ReplicaSet controller's pod work: create `<rs>-<random>` pods up to spec.replicas (they carry the template's
 * labels, pod-template-hash included, and a controller reference), delete surplus ones, and let up to `budget` new
 * pods start unless the rollout is stalled.
 */
export function syncReplicaSetPods(
  env: ControllerEnv,
  rs: KubeObject,
  budget: number,
  stalled: boolean,
): PodCounts {
  const want = Number((rs.spec as { replicas?: number } | undefined)?.replicas ?? 1);
  let pods = podsOf(env, rs);
  if (pods.length > want) {
    const gone = pickForDeletion(env, pods, pods.length - want);
    terminateAll(env, gone);
    pods = pods.filter((p) => !gone.includes(p));
  }
  const template = (rs.spec as { template?: unknown } | undefined)?.template;
  for (let i = pods.length; i < want; i++) pods.push(createPod(env, podFromTemplate(rs, template, {})));
  pods = startSome(env, pods, stalled ? 0 : budget);
  return countPods(pods);
}
