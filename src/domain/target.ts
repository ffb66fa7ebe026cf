// The target model, in one file: what a heal acts on, where it lives, and the key that names it.

/**
 * What an action acts on, resolved from the policy's templates and validated (DNS-1123, `allow`). A namespaced
 * object (a Deployment) has its `namespace`; a cluster-scoped one (a Node) has none, as Kubernetes says for its
 * kind (`clusterScopedKinds`). Every text and key of a target is made here, so neither shape is ever printed
 * with an empty segment.
 */
export type TargetRef = {
  kind: string;
  /** Absent for a cluster-scoped kind, present for every other. */
  namespace?: string;
  name: string;
};

/**
 * The built-in kinds Kubernetes serves cluster-scoped (`kubectl api-resources --namespaced=false`), with their
 * API group and resource: the policy schema refuses a namespace on them, and the generated RBAC grants their
 * rules in a ClusterRole. Every other kind, custom resources included, is taken as namespaced.
 */
export const clusterScopedKinds = {
  Node: { group: '', resource: 'nodes' },
  Namespace: { group: '', resource: 'namespaces' },
  PersistentVolume: { group: '', resource: 'persistentvolumes' },
  StorageClass: { group: 'storage.k8s.io', resource: 'storageclasses' },
  VolumeAttachment: { group: 'storage.k8s.io', resource: 'volumeattachments' },
  CSINode: { group: 'storage.k8s.io', resource: 'csinodes' },
  CSIDriver: { group: 'storage.k8s.io', resource: 'csidrivers' },
  IngressClass: { group: 'networking.k8s.io', resource: 'ingressclasses' },
  PriorityClass: { group: 'scheduling.k8s.io', resource: 'priorityclasses' },
  RuntimeClass: { group: 'node.k8s.io', resource: 'runtimeclasses' },
  ClusterRole: { group: 'rbac.authorization.k8s.io', resource: 'clusterroles' },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings' },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
} as const;

export function isClusterScopedKind(kind: string): boolean {
  return Object.hasOwn(clusterScopedKinds, kind);
}

/** True when the resource of this API group is cluster-scoped (the RBAC rules that need a ClusterRole). */
export function isClusterScopedResource(group: string, resource: string): boolean {
  return Object.values(clusterScopedKinds).some((k) => k.group === group && k.resource === resource);
}

/** Where the target is within its kind: `ml-prod/scorer`, or `worker-1` for a cluster-scoped one. */
export function targetPath(target: TargetRef): string {
  return target.namespace === undefined ? target.name : `${target.namespace}/${target.name}`;
}

/** "Deployment ml-prod/scorer", "Node worker-1": the target as describe(), details, Events and messages name it. */
export function targetLabel(target: TargetRef): string {
  return `${target.kind} ${targetPath(target)}`;
}

/**
 * `Kind/namespace/name`, or `Kind/name` for a cluster-scoped target: with the policy, the identity of a heal
 * (one open heal per policy and target key). Names hold no `/`, so the two shapes never meet.
 */
export function targetKeyOf(target: TargetRef): string {
  return `${target.kind}/${targetPath(target)}`;
}

/** What a target key looks like (an operator resetting a target's breaker writes one). */
// Each segment begins and ends with a letter or digit, as Kubernetes names do: `..` is never a segment.
export const targetKeyPattern =
  /^[A-Za-z]+\/(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\/)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;
export const targetKeyShape = 'Kind/namespace/name, or Kind/name for a cluster-scoped kind';
