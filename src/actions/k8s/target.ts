import { ActionFailed } from '../../errors.js';
import type { ObjectMeta, ObjectRef, Workload, WorkloadKind } from '../../kube/port.js';
import { targetLabel } from '../step.js';
import type { TargetRef } from '../types.js';

/** Annotations salve reads or writes, beside kubectl's own. */
export const annotationKeys = {
  restartedAt: 'kubectl.kubernetes.io/restartedAt',
  revision: 'deployment.kubernetes.io/revision',
  /** `<healId>/<step>` of the heal step that last restarted the pods (on the pod template). */
  restartFor: 'salve.dev/restart-for',
  /** `<healId>/<step>` of the heal step that last rolled the object back (on the object). */
  rollbackFor: 'salve.dev/rollback-for',
  /** `<healId>/<step>` of the heal step that last scaled the object (on the object). */
  scaleFor: 'salve.dev/scale-for',
  /** `<healId>/<step>` of the heal step that created a Job (on the Job). */
  createdFor: 'salve.dev/created-for',
} as const;

export const workloadApiVersion = 'apps/v1';

/**
 * Where the namespaced object a Kubernetes action acts on lives: the target's namespace and name. Every action
 * reads the target through here, `clusterScopedName` or `objectRef`. The policy schema gives a namespace to
 * exactly the namespaced kinds; a target without one reaching a namespaced action is refused, never sent to a
 * URL with an empty segment.
 */
export function namespacedName(target: TargetRef): { namespace: string; name: string } {
  if (target.namespace === undefined) {
    throw new ActionFailed(
      'SALVE_ACTION_REFUSED',
      `${targetLabel(target)} has no namespace: this action acts on namespaced objects`,
      {
        retryable: false,
        details: { kind: target.kind },
      },
    );
  }
  return { namespace: target.namespace, name: target.name };
}

/** The name of the cluster-scoped object an action acts on; a target with a namespace is refused. */
export function clusterScopedName(target: TargetRef): string {
  if (target.namespace !== undefined) {
    throw new ActionFailed(
      'SALVE_ACTION_REFUSED',
      `${targetLabel(target)} has a namespace: this action acts on cluster-scoped objects`,
      {
        retryable: false,
        details: { kind: target.kind },
      },
    );
  }
  return target.name;
}

/** The target's kind as a workload kind, refusing kinds this action does not handle. */
export function workloadKindOf(
  target: TargetRef,
  action: string,
  allowed: readonly WorkloadKind[],
): WorkloadKind {
  const kind = allowed.find((candidate) => candidate === target.kind);
  if (kind === undefined) {
    throw new ActionFailed(
      'SALVE_ACTION_REFUSED',
      `${action} does not support ${targetLabel(target)}; supported kinds: ${allowed.join(', ')}`,
      { retryable: false, details: { kind: target.kind } },
    );
  }
  return kind;
}

export function objectRef(
  apiVersion: string,
  kind: string,
  metadata: ObjectMeta,
  target: TargetRef,
): ObjectRef {
  return {
    apiVersion,
    kind,
    name: metadata.name ?? target.name,
    // A cluster-scoped object's reference has no namespace, as the API writes it.
    ...((metadata.namespace ?? target.namespace) === undefined
      ? {}
      : { namespace: metadata.namespace ?? target.namespace }),
    ...(metadata.uid === undefined ? {} : { uid: metadata.uid }),
  };
}

export function workloadRef(kind: WorkloadKind, workload: Workload, target: TargetRef): ObjectRef {
  return objectRef(workloadApiVersion, kind, workload.metadata, target);
}

/** True when `controller` is the controlling owner of the object with these metadata. */
export function isControlledBy(metadata: ObjectMeta, controllerUid: string | undefined): boolean {
  if (controllerUid === undefined) return false;
  return (metadata.ownerReferences ?? []).some((ref) => ref.controller === true && ref.uid === controllerUid);
}
