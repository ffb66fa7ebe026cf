import { coreEventFromStored, storedEventFromCore } from './event-view.js';
import { apiVersionOf, type ResourceDef, storageOf } from './resources.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

/** Reads and writes through a resource's view (core v1 events are stored as events.k8s.io/v1). */
export function toView(r: ResourceDef, stored: KubeObject): KubeObject {
  return r.storedAs !== undefined && r.kind === 'Event' ? coreEventFromStored(stored) : stored;
}

export function toStored(r: ResourceDef, view: KubeObject): KubeObject {
  return r.storedAs !== undefined && r.kind === 'Event' ? storedEventFromCore(view) : view;
}

export function readView(
  store: ObjectStore,
  r: ResourceDef,
  ns: string,
  name: string,
): KubeObject | undefined {
  const s = storageOf(r);
  const found = store.get(s.apiVersion, s.kind, r.namespaced ? ns : '', name);
  return found === undefined ? undefined : toView(r, found);
}

export function listView(store: ObjectStore, r: ResourceDef, ns?: string): KubeObject[] {
  const s = storageOf(r);
  return store.list(s.apiVersion, s.kind, r.namespaced ? ns : undefined).map((o) => toView(r, o));
}

/** Whether a stored object belongs to resource `r` (and namespace `ns` when given). */
export function isStoredAs(r: ResourceDef, obj: KubeObject, ns?: string): boolean {
  const s = storageOf(r);
  if (obj.apiVersion !== s.apiVersion || obj.kind !== s.kind) return false;
  return ns === undefined || !r.namespaced || (obj.metadata.namespace ?? '') === ns;
}

export function listKind(r: ResourceDef): { apiVersion: string; kind: string } {
  return { apiVersion: apiVersionOf(r), kind: `${r.kind}List` };
}
