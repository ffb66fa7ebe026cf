import { randomUUID } from 'node:crypto';
import { applyDefaults } from './defaults.js';
import type { KubeObject } from './types.js';
import { clone, deepEqual, rfc3339 } from './util.js';

// Kinds whose registry strategy tracks metadata.generation (bumped on spec changes only).
const GENERATION_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);

/**
 * Metadata the API server owns: uid and creationTimestamp survive updates, generation counts spec changes.
 * resourceVersion is left to the store.
 */
export function prepareWrite(old: KubeObject | undefined, next: KubeObject, now: number): KubeObject {
  const obj = clone(next);
  obj.metadata = { ...obj.metadata };
  applyDefaults(obj);
  const meta = obj.metadata;
  meta.uid = old?.metadata.uid ?? meta.uid ?? randomUUID();
  meta.creationTimestamp = old?.metadata.creationTimestamp ?? meta.creationTimestamp ?? rfc3339(now);
  if (GENERATION_KINDS.has(obj.kind)) {
    if (old === undefined) meta.generation = meta.generation ?? 1;
    else {
      const before = old.metadata.generation ?? 1;
      meta.generation = deepEqual(old.spec, obj.spec) ? before : before + 1;
    }
  }
  return obj;
}
