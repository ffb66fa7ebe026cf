import type { KubeObject } from './types.js';
import { getPath } from './util.js';

export type Column = { name: string; type: 'string' | 'integer' | 'date'; priority?: number };
export type Row = (o: KubeObject, age: (t: unknown) => string) => unknown[];

type ContainerStatus = {
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    running?: object;
    terminated?: { reason?: string; exitCode?: number; signal?: number };
  };
  lastState?: { terminated?: { finishedAt?: string } };
};

const cols = (names: string[], priority = 0): Column[] =>
  names.map((name) => ({ name, type: 'string', priority }));

/** printPod (pkg/printers/internalversion): READY, STATUS (the last waiting/terminated reason wins), RESTARTS. */
function podCells(o: KubeObject, age: (t: unknown) => string): unknown[] {
  const status = (o.status ?? {}) as {
    phase?: string;
    reason?: string;
    podIPs?: Array<{ ip: string }>;
    nominatedNodeName?: string;
    containerStatuses?: ContainerStatus[];
  };
  const containers = ((getPath(o, ['spec', 'containers']) ?? []) as unknown[]).length;
  let reason = status.reason ?? status.phase ?? '';
  let ready = 0;
  let restarts = 0;
  let lastRestart = '';
  let hasRunning = false;
  const list = status.containerStatuses ?? [];
  for (let i = list.length - 1; i >= 0; i--) {
    const c = list[i] as ContainerStatus;
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt;
    if (finished !== undefined && finished > lastRestart) lastRestart = finished;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state?.terminated !== undefined) {
      const t = c.state.terminated;
      reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode ?? 0}`;
    } else if (c.ready && c.state?.running !== undefined) {
      hasRunning = true;
      ready += 1;
    }
  }
  const readyCond = (
    (getPath(o, ['status', 'conditions']) ?? []) as Array<{ type: string; status: string }>
  ).some((c) => c.type === 'Ready' && c.status === 'True');
  if (reason === 'Completed' && hasRunning) reason = readyCond ? 'Running' : 'NotReady';
  if (o.metadata.deletionTimestamp && status.phase !== 'Succeeded' && status.phase !== 'Failed')
    reason = 'Terminating';
  const restartCell =
    restarts !== 0 && lastRestart !== '' ? `${restarts} (${age(lastRestart)} ago)` : String(restarts);
  const gates = (getPath(o, ['spec', 'readinessGates']) ?? []) as unknown[];
  return [
    o.metadata.name ?? '',
    `${ready}/${containers}`,
    reason,
    restartCell,
    age(o.metadata.creationTimestamp),
    status.podIPs?.[0]?.ip || '<none>',
    (getPath(o, ['spec', 'nodeName']) as string | undefined) || '<none>',
    status.nominatedNodeName || '<none>',
    gates.length > 0 ? `0/${gates.length}` : '<none>',
  ];
}

/** printNode: Ready/NotReady, SchedulingDisabled when cordoned, roles from node-role.kubernetes.io/ labels. */
function nodeCells(o: KubeObject, age: (t: unknown) => string): unknown[] {
  const conds = (getPath(o, ['status', 'conditions']) ?? []) as Array<{ type: string; status: string }>;
  const states = [conds.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady'];
  if (getPath(o, ['spec', 'unschedulable']) === true) states.push('SchedulingDisabled');
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort();
  const addr = (type: string) =>
    ((getPath(o, ['status', 'addresses']) ?? []) as Array<{ type: string; address: string }>).find(
      (a) => a.type === type,
    )?.address ?? '<none>';
  const info = (k: string) => String(getPath(o, ['status', 'nodeInfo', k]) ?? '');
  return [
    o.metadata.name ?? '',
    states.join(','),
    roles.length > 0 ? roles.join(',') : '<none>',
    age(o.metadata.creationTimestamp),
    info('kubeletVersion'),
    addr('InternalIP'),
    addr('ExternalIP'),
    info('osImage'),
    info('kernelVersion'),
    info('containerRuntimeVersion'),
  ];
}

type MetricSpec = {
  type?: string;
  resource?: { name?: string; target?: { averageUtilization?: number; averageValue?: string } };
};
type MetricStatus = { resource?: { current?: { averageUtilization?: number; averageValue?: string } } };

/** formatHPAMetrics: `cpu: 95%/80%` per Resource metric, `<unknown>` before the first reading. */
function hpaTargets(o: KubeObject): string {
  const specs = (getPath(o, ['spec', 'metrics']) ?? []) as MetricSpec[];
  const statuses = (getPath(o, ['status', 'currentMetrics']) ?? []) as MetricStatus[];
  if (specs.length === 0) return '<none>';
  const parts = specs.map((m, i) => {
    const current = statuses[i]?.resource?.current;
    if (m.type !== 'Resource') return '<unknown>/<unknown>';
    if (m.resource?.target?.averageValue !== undefined)
      return `${m.resource.name}: ${current?.averageValue ?? '<unknown>'}/${m.resource.target.averageValue}`;
    const cur = current?.averageUtilization === undefined ? '<unknown>' : `${current.averageUtilization}%`;
    const target = m.resource?.target?.averageUtilization;
    return `${m.resource?.name}: ${cur}/${target === undefined ? '<auto>' : `${target}%`}`;
  });
  const shown = parts.slice(0, 2).join(', ');
  return parts.length > 2 ? `${shown} + ${parts.length - 2} more...` : shown;
}

function hpaCells(o: KubeObject, age: (t: unknown) => string): unknown[] {
  const ref = (getPath(o, ['spec', 'scaleTargetRef']) ?? {}) as { kind?: string; name?: string };
  const min = getPath(o, ['spec', 'minReplicas']);
  return [
    o.metadata.name ?? '',
    `${ref.kind}/${ref.name}`,
    hpaTargets(o),
    min === undefined ? '<unset>' : String(min),
    Number(getPath(o, ['spec', 'maxReplicas']) ?? 0),
    Number(getPath(o, ['status', 'currentReplicas']) ?? 0),
    age(o.metadata.creationTimestamp),
  ];
}

// Server-side table columns (priority 1 = only with -o wide), as kube-apiserver 1.32 prints them.
export const POD_TABLES: Record<string, [Column[], Row]> = {
  Pod: [
    [
      ...cols(['Name', 'Ready', 'Status', 'Restarts', 'Age']),
      ...cols(['IP', 'Node', 'Nominated Node', 'Readiness Gates'], 1),
    ],
    podCells,
  ],
  Node: [
    [
      ...cols(['Name', 'Status', 'Roles', 'Age', 'Version']),
      ...cols(['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime'], 1),
    ],
    nodeCells,
  ],
  HorizontalPodAutoscaler: [
    [
      ...cols(['Name', 'Reference', 'Targets', 'MinPods']),
      { name: 'MaxPods', type: 'integer' },
      { name: 'Replicas', type: 'integer' },
      { name: 'Age', type: 'string' },
    ],
    hpaCells,
  ],
};
