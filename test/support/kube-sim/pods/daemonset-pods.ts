import type { ControllerEnv } from '../controllers/env.js';
import type { KubeObject } from '../types.js';
import { isReady, isTerminal, nodeNameOf } from './kubelet.js';
import { budgetedStarter, podsOf, terminateAll } from './owned.js';
import { createPod, nodesOf, podFromTemplate, terminatePod } from './pod-ops.js';

export type DaemonSetPods = {
  desired: number;
  scheduled: number;
  ready: number;
  updated: number;
};

// The tolerations the DaemonSet controller adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations).
const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function wantsNode(template: unknown, node: KubeObject): boolean {
  const selector = (template as { spec?: { nodeSelector?: Record<string, string> } } | undefined)?.spec
    ?.nodeSelector;
  return Object.entries(selector ?? {}).every(([k, v]) => node.metadata.labels?.[k] === v);
}

function resolveMaxUnavailable(ds: KubeObject, desired: number): number {
  const v = (ds.spec as { updateStrategy?: { rollingUpdate?: { maxUnavailable?: number | string } } })
    .updateStrategy?.rollingUpdate?.maxUnavailable;
  const m = /^(\d+)%$/.exec(String(v ?? ''));
  const n = m ? Math.floor((Number(m[1]) * desired) / 100) : typeof v === 'number' ? v : 1;
  return Math.max(1, n);
}

/**
 * The DaemonSet controller: one `<ds>-<random>` pod bound to each node its template selects (cordoned nodes too:
 * daemon pods tolerate node.kubernetes.io/unschedulable), labelled controller-revision-hash (the bare hash) and
 * pod-template-generation. A RollingUpdate replaces old pods while fewer than maxUnavailable nodes lack a ready
 * pod. Up to `budget` pods start per tick; while `stalled` replaced pods never start.
 */
export function syncDaemonSetPods(
  env: ControllerEnv,
  ds: KubeObject,
  hash: string,
  budget: number,
  stalled: boolean,
): DaemonSetPods {
  const template = (ds.spec as { template?: unknown }).template;
  const nodes = nodesOf(env).filter((n) => wantsNode(template, n));
  const names = new Set(nodes.map((n) => n.metadata.name));
  const all = podsOf(env, ds);
  terminateAll(
    env,
    all.filter((p) => !names.has(nodeNameOf(p) ?? '') || isTerminal(p)),
  );
  const start = budgetedStarter(env, stalled ? 0 : budget);
  // Replacing a pod needs room to start its successor (a stalled rollout replaces one and waits forever).
  let replacements = stalled ? 1 : budget;
  const make = (node: string) =>
    createPod(
      env,
      podFromTemplate(ds, template, {
        labels: {
          'controller-revision-hash': hash,
          'pod-template-generation': String(ds.metadata.generation ?? 1),
        },
        nodeName: node,
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] },
                ],
              },
            },
          },
          tolerations: [
            ...(((template as { spec?: { tolerations?: unknown[] } } | undefined)?.spec?.tolerations ??
              []) as unknown[]),
            ...DAEMON_TOLERATIONS,
          ],
        },
      }),
    );
  const onNode = new Map<string, KubeObject>();
  for (const p of all) {
    const n = nodeNameOf(p);
    if (n !== undefined && names.has(n) && !isTerminal(p) && !onNode.has(n)) onNode.set(n, p);
  }
  for (const n of nodes) {
    const name = n.metadata.name ?? '';
    const pod = onNode.get(name) ?? make(name);
    onNode.set(name, start(pod));
  }
  const isNew = (p: KubeObject) => p.metadata.labels?.['controller-revision-hash'] === hash;
  const maxUnavailable = resolveMaxUnavailable(ds, nodes.length);
  const rolling =
    ((ds.spec as { updateStrategy?: { type?: string } }).updateStrategy?.type ?? 'RollingUpdate') ===
    'RollingUpdate';
  for (const n of rolling ? nodes : []) {
    const name = n.metadata.name ?? '';
    const pod = onNode.get(name);
    if (pod === undefined || isNew(pod)) continue;
    const unavailable = [...onNode.values()].filter((p) => !isReady(p)).length;
    if (unavailable >= maxUnavailable && isReady(pod)) break;
    if (replacements <= 0) break;
    replacements -= 1;
    terminatePod(env, pod);
    onNode.set(name, start(make(name)));
  }
  const pods = [...onNode.values()];
  return {
    desired: nodes.length,
    scheduled: pods.length,
    ready: pods.filter(isReady).length,
    updated: pods.filter(isNew).length,
  };
}
