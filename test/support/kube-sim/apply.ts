import { parse } from 'yaml';
import { type ApiEnv, type ApiRequest, type ApiResponse, create, update } from './handlers.js';
import { applyStrategicMergePatch } from './patch/strategic-merge.js';
import { apiErrors } from './status.js';
import type { KubeObject } from './types.js';
import { isObject } from './util.js';
import { readView } from './views.js';

export const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';

export function isApply(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim() === APPLY_CONTENT_TYPE;
}

/**
 * Server-side apply, approximated: creates the object when missing, otherwise merges the applied configuration
 * like a strategic merge patch. Field ownership is not tracked, so apply never reports a field-manager conflict.
 */
export function serverSideApply(env: ApiEnv, req: ApiRequest): ApiResponse {
  if (!req.query.fieldManager) throw apiErrors.badRequest('fieldManager is required for apply requests');
  let body: unknown = req.body;
  if (typeof body === 'string') {
    try {
      body = parse(body);
    } catch (err) {
      throw apiErrors.badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (!isObject(body) || !isObject(body.metadata))
    throw apiErrors.badRequest('the applied configuration must be an object with metadata');
  if (body.metadata.name !== req.name) {
    throw apiErrors.badRequest(
      `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${req.name})`,
    );
  }
  const found = readView(env.store, req.r, req.namespace, req.name ?? '');
  if (found === undefined) return create(env, { ...req, method: 'POST', body });
  const { status: _ignored, ...config } = body;
  const merged = applyStrategicMergePatch(found, req.sub === 'status' ? body : config) as KubeObject;
  return update(env, req, found, merged);
}
