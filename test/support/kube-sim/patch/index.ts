import { apiErrors } from '../status.js';
import { isObject } from '../util.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge.js';

export const PatchContentType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

export function applyPatch(contentType: string | undefined, target: unknown, body: unknown): unknown {
  const type = (contentType ?? '').split(';')[0]?.trim();
  if (type === PatchContentType.json) return applyJsonPatch(target, body);
  if (!isObject(body) && (type === PatchContentType.merge || type === PatchContentType.strategic)) {
    throw apiErrors.badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  }
  if (type === PatchContentType.merge) return applyMergePatch(target, body);
  if (type === PatchContentType.strategic) return applyStrategicMergePatch(target, body) ?? {};
  throw apiErrors.unsupportedMediaType(type ?? '');
}
