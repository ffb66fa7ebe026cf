/** The resources the simulator serves: one line per resource, discovery and routing derive from it. */
export type ResourceDef = {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Has a /status subresource: writes to the main resource leave status alone and vice versa. */
  status: boolean;
  /** Has a /scale subresource (autoscaling/v1 Scale over spec.replicas). */
  scale: boolean;
  /** Stored as another resource (core v1 events are a view of events.k8s.io/v1 events). */
  storedAs?: { apiVersion: string; kind: string };
};

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(
  groupVersion: string,
  plural: string,
  kind: string,
  extra: Partial<ResourceDef> = {},
): ResourceDef {
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
  return {
    group: group ?? '',
    version: version ?? 'v1',
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    status: false,
    scale: false,
    ...extra,
  };
}

export const resources: readonly ResourceDef[] = [
  def('v1', 'namespaces', 'Namespace', { namespaced: false, shortNames: ['ns'], status: true }),
  def('v1', 'nodes', 'Node', { namespaced: false, shortNames: ['no'], status: true }),
  def('v1', 'pods', 'Pod', { shortNames: ['po'], categories: ['all'], status: true }),
  def('v1', 'events', 'Event', {
    shortNames: ['ev'],
    storedAs: { apiVersion: 'events.k8s.io/v1', kind: 'Event' },
  }),
  def('apps/v1', 'deployments', 'Deployment', {
    shortNames: ['deploy'],
    categories: ['all'],
    status: true,
    scale: true,
  }),
  def('apps/v1', 'replicasets', 'ReplicaSet', {
    shortNames: ['rs'],
    categories: ['all'],
    status: true,
    scale: true,
  }),
  def('apps/v1', 'statefulsets', 'StatefulSet', {
    shortNames: ['sts'],
    categories: ['all'],
    status: true,
    scale: true,
  }),
  def('apps/v1', 'daemonsets', 'DaemonSet', { shortNames: ['ds'], categories: ['all'], status: true }),
  def('apps/v1', 'controllerrevisions', 'ControllerRevision'),
  def('batch/v1', 'jobs', 'Job', { categories: ['all'], status: true }),
  def('batch/v1', 'cronjobs', 'CronJob', { shortNames: ['cj'], categories: ['all'], status: true }),
  def('autoscaling/v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', {
    shortNames: ['hpa'],
    categories: ['all'],
    status: true,
  }),
  def('events.k8s.io/v1', 'events', 'Event', { shortNames: ['ev'] }),
  def('coordination.k8s.io/v1', 'leases', 'Lease'),
];

export const verbs = ALL_VERBS;

export function apiVersionOf(r: ResourceDef): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return resources.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return resources.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** The stored form of a resource (itself unless it is a view). */
export function storageOf(r: ResourceDef): { apiVersion: string; kind: string } {
  return r.storedAs ?? { apiVersion: apiVersionOf(r), kind: r.kind };
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}
