import type { ControllerEnv } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { isReady, isTerminal } from './kubelet.js';
import { budgetedStarter, podsOf } from './owned.js';
import { createPod, deletePod, podFromTemplate } from './pod-ops.js';

const REVISION_LABEL = 'controller-revision-hash';

export type Revision = { name: string; template: unknown };
export type StatefulSetPods = { replicas: number; ready: number; current: number; updated: number };

function ordinalOf(sts: KubeObject, pod: KubeObject): number {
  const m = new RegExp(`^${sts.metadata.name}-(\\d+)$`).exec(pod.metadata.name ?? '');
  return m ? Number(m[1]) : -1;
}

function newPod(sts: KubeObject, ordinal: number, rev: Revision): KubeObject {
  const name = `${sts.metadata.name}-${ordinal}`;
  const spec = sts.spec as { serviceName?: string };
  return podFromTemplate(sts, rev.template, {
    name,
    labels: {
      [REVISION_LABEL]: rev.name,
      'statefulset.kubernetes.io/pod-name': name,
      'apps.kubernetes.io/pod-index': String(ordinal),
    },
    spec: { hostname: name, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) },
  });
}

/**
 * The StatefulSet controller with OrderedReady pods and a RollingUpdate strategy: `<sts>-<ordinal>` pods labelled
 * with their revision, created in ordinal order, each waiting for the ones before it to be ready; an update
 * replaces pods from the highest ordinal down to the partition, one at a time, each once the rest are ready.
 * Up to `budget` pods start per tick; while `stalled` a replaced pod never starts, so the update is stuck.
 */
export function syncStatefulSetPods(
  env: ControllerEnv,
  sts: KubeObject,
  current: Revision,
  update: Revision,
  budget: number,
  stalled: boolean,
): StatefulSetPods {
  const spec = sts.spec as {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  const want = spec.replicas ?? 1;
  const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
  const start = budgetedStarter(env, stalled ? 0 : budget);
  // Replacing a pod needs room to start its successor (a stalled rollout replaces one and waits forever).
  let replacements = stalled ? 1 : budget;
  const all = podsOf(env, sts);
  for (const p of all.filter((p) => ordinalOf(sts, p) >= want || ordinalOf(sts, p) < 0)) deletePod(env, p);
  const byOrdinal = new Map(
    all.filter((p) => ordinalOf(sts, p) >= 0 && ordinalOf(sts, p) < want).map((p) => [ordinalOf(sts, p), p]),
  );
  const revisionOf = (p: KubeObject) => p.metadata.labels?.[REVISION_LABEL];
  // Create missing ordinals in order; OrderedReady waits for every lower ordinal to be ready.
  for (let i = 0; i < want; i++) {
    let pod = byOrdinal.get(i);
    if (pod === undefined) pod = createPod(env, newPod(sts, i, i < partition ? current : update));
    pod = start(pod);
    byOrdinal.set(i, pod);
    if (!isReady(pod)) break;
  }
  // Rolling update: from the highest ordinal down, only while every pod is ready.
  if (rolling) {
    for (let i = want - 1; i >= partition; i--) {
      const pods = [...byOrdinal.values()];
      if (pods.length < want || !pods.every(isReady)) break;
      const pod = byOrdinal.get(i);
      if (pod === undefined || revisionOf(pod) === update.name) continue;
      if (replacements <= 0) break;
      replacements -= 1;
      deletePod(env, pod);
      byOrdinal.set(i, start(createPod(env, newPod(sts, i, update))));
    }
  }
  const live = [...byOrdinal.values()].filter((p) => !isTerminal(p));
  return {
    replicas: live.length,
    ready: live.filter(isReady).length,
    current: live.filter((p) => revisionOf(p) === current.name).length,
    updated: live.filter((p) => revisionOf(p) === update.name).length,
  };
}
