import type { PodTemplate } from '../../kube/port.js';

export const podTemplateHashLabel = 'pod-template-hash';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/**
 * Drops null, undefined, empty lists and empty maps, recursively. apimachinery's semantic equality treats
 * nil and empty alike, and a JSON round trip shows both as missing or `null`.
 */
export function pruneEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneEmpty);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const pruned = pruneEmpty(child);
    if (!isEmpty(pruned)) out[key] = pruned;
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => deepEqual(item, b[index]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

/** Semantic equality of two API objects: key order, nulls and empty collections do not matter. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return deepEqual(pruneEmpty(a), pruneEmpty(b));
}

/** A copy of the template without the `pod-template-hash` label the deployment controller adds to ReplicaSets. */
export function withoutHashLabel(template: PodTemplate): PodTemplate {
  const copy = structuredClone(template);
  if (copy.metadata?.labels !== undefined) delete copy.metadata.labels[podTemplateHashLabel];
  return copy;
}

/** kubectl's equalIgnoreHash: the templates are equal once `pod-template-hash` is removed from both. */
export function equalIgnoreHash(a: PodTemplate, b: PodTemplate): boolean {
  return semanticEqual(withoutHashLabel(a), withoutHashLabel(b));
}
