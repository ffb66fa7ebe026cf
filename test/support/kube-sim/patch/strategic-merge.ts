import { clone, isObject } from '../util.js';

// patchMergeKey of the list fields salve and kubectl touch (from the `patchMergeKey` struct tags in k8s.io/api).
// Lists not named here are replaced wholesale, as atomic lists are.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};
// Primitive lists with patchStrategy=merge: the patch's values are added to the existing set.
const MERGE_PRIMITIVE_LISTS = new Set(['finalizers']);

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v))
    return v
      .filter((i) => !(isObject(i) && Object.keys(i).length === 1 && '$patch' in i))
      .map(stripDirectives);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(val);
  }
  return out;
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  if (patch.some((i) => isObject(i) && i.$patch === 'replace')) return stripDirectives(patch) as unknown[];
  const cur = Array.isArray(current) ? current : [];
  if (MERGE_PRIMITIVE_LISTS.has(field)) {
    return [...cur, ...patch.filter((v) => !cur.includes(v))];
  }
  const key = MERGE_KEYS[field];
  if (key === undefined || !patch.every(isObject)) return stripDirectives(patch) as unknown[];
  const out = clone(cur);
  for (const item of patch as Array<Record<string, unknown>>) {
    const at = out.findIndex((x) => isObject(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = applyStrategicMergePatch(out[at], item);
    else out.push(stripDirectives(item));
  }
  return out;
}

/**
 * Strategic merge patch for the shapes salve and kubectl send: maps merge, lists merge by their patchMergeKey,
 * `$patch: replace|delete` on maps and list items, `$retainKeys`, `$deleteFromPrimitiveList/<field>`, null deletes.
 * `$setElementOrder/<field>` is accepted and ignored (order is kept as it was).
 * Returns undefined when the patch deletes the whole map (`$patch: delete`).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v : [];
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isObject(v)) {
      const merged = applyStrategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys.map(String));
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  return out;
}
