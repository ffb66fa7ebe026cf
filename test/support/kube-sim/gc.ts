import { prepareWrite } from './lifecycle.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

export type Propagation = 'Orphan' | 'Background' | 'Foreground';

/**
 * Deletes an object the way the garbage collector finishes the job: dependents (by ownerReference uid) go too,
 * or lose their ownerReference under Orphan; deleting a Namespace deletes everything in it.
 */
export function deleteWithDependents(
  store: ObjectStore,
  obj: KubeObject,
  propagation: Propagation,
  now: number,
): void {
  const ns = obj.metadata.namespace ?? '';
  if (store.remove(obj.apiVersion, obj.kind, ns, obj.metadata.name ?? '') === undefined) return;
  const all = store.all();
  if (obj.apiVersion === 'v1' && obj.kind === 'Namespace') {
    for (const o of all)
      if (o.metadata.namespace === obj.metadata.name) deleteWithDependents(store, o, 'Background', now);
    return;
  }
  const uid = obj.metadata.uid;
  for (const dep of all) {
    const refs = dep.metadata.ownerReferences ?? [];
    if (!refs.some((ref) => ref.uid === uid)) continue;
    if (propagation === 'Orphan') {
      const kept = refs.filter((ref) => ref.uid !== uid);
      const next = {
        ...dep,
        metadata: { ...dep.metadata, ownerReferences: kept.length > 0 ? kept : undefined },
      };
      store.save(prepareWrite(dep, next, now));
    } else deleteWithDependents(store, dep, propagation, now);
  }
}
