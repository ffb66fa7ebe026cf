import { selectorString } from './selectors.js';
import type { KubeObject } from './types.js';
import { getPath } from './util.js';

/** autoscaling/v1 Scale of a Deployment, ReplicaSet or StatefulSet. */
export function toScale(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const status = (obj.status ?? {}) as Record<string, unknown>;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: Number(getPath(obj, ['spec', 'replicas']) ?? 1) },
    status: {
      replicas: Number(status.replicas ?? 0),
      selector: selectorString(getPath(obj, ['spec', 'selector'])),
    },
  };
}
