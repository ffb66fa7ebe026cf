import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { ChainKind, ObjectHead, OwnerReference, ScaleTargetRef } from './port.js';

/** Where each chain kind lives in the API: its group and resource, for RBAC. */
export const chainKindResources = {
  Pod: { group: '', resource: 'pods' },
  ReplicaSet: { group: 'apps', resource: 'replicasets' },
  Deployment: { group: 'apps', resource: 'deployments' },
  StatefulSet: { group: 'apps', resource: 'statefulsets' },
  DaemonSet: { group: 'apps', resource: 'daemonsets' },
  Job: { group: 'batch', resource: 'jobs' },
  CronJob: { group: 'batch', resource: 'cronjobs' },
  HorizontalPodAutoscaler: { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
} as const satisfies Record<ChainKind, { group: string; resource: string }>;

/**
 * What the owner-chain cache needs in every namespace it watches: list and watch each chain kind, and get one
 * by name on a miss. deploy/kubernetes/base/role.yaml grants it (test/unit/actions-rbac.test.ts checks).
 */
export const ownerCacheRbac: ReadonlyArray<{ apiGroups: string[]; resources: string[]; verbs: string[] }> =
  Object.values(chainKindResources).map(({ group, resource }) => ({
    apiGroups: [group],
    resources: [resource],
    verbs: ['get', 'list', 'watch'],
  }));

/** How the API serves one kind: its collection path in a namespace, its list and its read. */
export type HeadApi = {
  path(namespace: string): string;
  list(namespace: string, options: ConfigurationOptions): Promise<unknown>;
  read(namespace: string, name: string, options: ConfigurationOptions): Promise<unknown>;
};

/** The list and read calls of every chain kind, over the generated clients. */
export function headApis(kubeConfig: KubeConfig): Record<ChainKind, HeadApi> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
  const at = (prefix: string, resource: string) => (namespace: string) =>
    `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource}`;
  return {
    Pod: {
      path: at('/api/v1', 'pods'),
      list: (namespace, o) => core.listNamespacedPod({ namespace }, o),
      read: (namespace, name, o) => core.readNamespacedPod({ namespace, name }, o),
    },
    ReplicaSet: {
      path: at('/apis/apps/v1', 'replicasets'),
      list: (namespace, o) => apps.listNamespacedReplicaSet({ namespace }, o),
      read: (namespace, name, o) => apps.readNamespacedReplicaSet({ namespace, name }, o),
    },
    Deployment: {
      path: at('/apis/apps/v1', 'deployments'),
      list: (namespace, o) => apps.listNamespacedDeployment({ namespace }, o),
      read: (namespace, name, o) => apps.readNamespacedDeployment({ namespace, name }, o),
    },
    StatefulSet: {
      path: at('/apis/apps/v1', 'statefulsets'),
      list: (namespace, o) => apps.listNamespacedStatefulSet({ namespace }, o),
      read: (namespace, name, o) => apps.readNamespacedStatefulSet({ namespace, name }, o),
    },
    DaemonSet: {
      path: at('/apis/apps/v1', 'daemonsets'),
      list: (namespace, o) => apps.listNamespacedDaemonSet({ namespace }, o),
      read: (namespace, name, o) => apps.readNamespacedDaemonSet({ namespace, name }, o),
    },
    Job: {
      path: at('/apis/batch/v1', 'jobs'),
      list: (namespace, o) => batch.listNamespacedJob({ namespace }, o),
      read: (namespace, name, o) => batch.readNamespacedJob({ namespace, name }, o),
    },
    CronJob: {
      path: at('/apis/batch/v1', 'cronjobs'),
      list: (namespace, o) => batch.listNamespacedCronJob({ namespace }, o),
      read: (namespace, name, o) => batch.readNamespacedCronJob({ namespace, name }, o),
    },
    HorizontalPodAutoscaler: {
      path: at('/apis/autoscaling/v2', 'horizontalpodautoscalers'),
      list: (namespace, o) => autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace }, o),
      read: (namespace, name, o) => autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name }, o),
    },
  };
}

type Loose = { [field: string]: unknown };

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const record = (value: unknown): Loose | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;

function ownerReference(value: unknown): OwnerReference | undefined {
  const ref = record(value);
  const [apiVersion, kind, name, uid] = [ref?.apiVersion, ref?.kind, ref?.name, ref?.uid].map(text);
  if (apiVersion === undefined || kind === undefined || name === undefined || uid === undefined)
    return undefined;
  return { apiVersion, kind, name, uid, ...(ref?.controller === true ? { controller: true } : {}) };
}

function scaleTargetRef(value: unknown): ScaleTargetRef | undefined {
  const ref = record(value);
  const kind = text(ref?.kind);
  const name = text(ref?.name);
  if (kind === undefined || name === undefined) return undefined;
  const apiVersion = text(ref?.apiVersion);
  return { ...(apiVersion === undefined ? {} : { apiVersion }), kind, name };
}

const timestamp = (value: unknown): string | undefined =>
  value instanceof Date ? value.toISOString() : text(value);

/**
 * The head of an object as the API (or the generated client's model) gave it: identity, owners and, for an
 * HPA, its scale target. Works on wire JSON and on the client's model instances alike (the fields read are
 * not renamed); undefined when the object has no name, namespace or uid.
 */
export function headOf(value: unknown): ObjectHead | undefined {
  const obj = record(value);
  const meta = record(obj?.metadata);
  const name = text(meta?.name);
  const namespace = text(meta?.namespace);
  const uid = text(meta?.uid);
  if (name === undefined || namespace === undefined || uid === undefined) return undefined;
  const owners = Array.isArray(meta?.ownerReferences)
    ? meta.ownerReferences.map(ownerReference).filter((r) => r !== undefined)
    : [];
  const resourceVersion = text(meta?.resourceVersion);
  const deletionTimestamp = timestamp(meta?.deletionTimestamp);
  const scaleTarget = scaleTargetRef(record(obj?.spec)?.scaleTargetRef);
  return {
    metadata: {
      name,
      namespace,
      uid,
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      ...(owners.length === 0 ? {} : { ownerReferences: owners }),
      ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }),
    },
    ...(scaleTarget === undefined ? {} : { spec: { scaleTargetRef: scaleTarget } }),
  };
}
