import { isApply, serverSideApply } from './apply.js';
import { deleteWithDependents } from './gc.js';
import {
  type ApiEnv,
  type ApiRequest,
  type ApiResponse,
  asList,
  create,
  current,
  list,
  remove,
  requireBody,
  update,
} from './handlers.js';
import { applyPatch } from './patch/index.js';
import { toScale } from './scale.js';
import { apiErrors, failure } from './status.js';
import type { KubeObject } from './types.js';
import { isObject } from './util.js';
import { toStored } from './views.js';

/** Routes one resource request to its verb. */
export function handleResource(env: ApiEnv, req: ApiRequest): ApiResponse {
  const { r, method, name, sub } = req;
  if (sub !== undefined && !((sub === 'status' && r.status) || (sub === 'scale' && r.scale)))
    throw apiErrors.pathNotFound();
  if (name === undefined) {
    if (method === 'GET') return { status: 200, body: asList(env, r, list(env, req)) };
    if (method === 'POST') return create(env, req);
    if (method === 'DELETE') {
      const items = list(env, req);
      for (const o of items)
        if (req.query.dryRun !== 'All')
          deleteWithDependents(env.store, toStored(r, o), 'Background', env.now());
      return { status: 200, body: asList(env, r, items) };
    }
    throw apiErrors.methodNotAllowed();
  }
  if (method === 'PATCH' && isApply(req.contentType)) return serverSideApply(env, req);
  const cur = current(env, req);
  switch (method) {
    case 'GET':
      return { status: 200, body: sub === 'scale' ? toScale(cur) : cur };
    case 'PUT':
      return update(env, req, cur, requireBody(req.body));
    case 'PATCH': {
      if (typeof req.body === 'string' || req.body === undefined)
        throw apiErrors.badRequest('the patch body is not valid JSON');
      const base = sub === 'scale' ? toScale(cur) : cur;
      const patched = applyPatch(req.contentType, base, req.body);
      if (!isObject(patched) || !isObject(patched.metadata ?? {}))
        throw failure(422, 'Invalid', 'the patched object is not a JSON object');
      return update(env, req, cur, {
        ...patched,
        metadata: { ...((patched.metadata as object) ?? {}) },
      } as KubeObject);
    }
    case 'DELETE':
      return remove(env, req, cur);
    default:
      throw apiErrors.methodNotAllowed();
  }
}
