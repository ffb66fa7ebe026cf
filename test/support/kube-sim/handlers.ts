import { randomUUID } from 'node:crypto';
import { deleteWithDependents, type Propagation } from './gc.js';
import { prepareWrite } from './lifecycle.js';
import { beforeCreate } from './on-create.js';
import { apiVersionOf, findResource, type ResourceDef } from './resources.js';
import { toScale } from './scale.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { type ApiError, apiErrors, failure, groupResource, toCause } from './status.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import { clone, isObject, randomSuffix } from './util.js';
import { checkDecodable, validateObject } from './validate.js';
import { listKind, listView, readView, toStored, toView } from './views.js';

const namespaces = findResource('', 'v1', 'namespaces') as ResourceDef;

export type ApiEnv = { store: ObjectStore; now: () => number };
export type ApiRequest = {
  method: string;
  r: ResourceDef;
  /** '' for cluster-scoped resources and for all-namespace lists. */
  namespace: string;
  name?: string;
  sub?: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: unknown;
  /** An injected conflict: answer the next update/patch with 409 as if resourceVersion were stale. */
  forceConflict: boolean;
};
export type ApiResponse = { status: number; body: unknown };

export function requireBody(body: unknown): KubeObject {
  if (typeof body === 'string')
    throw apiErrors.badRequest(`couldn't get version/kind; json parse error: ${body.slice(0, 80)}`);
  if (!isObject(body)) throw apiErrors.badRequest('the body of the request must be a JSON object');
  if (body.metadata !== undefined && !isObject(body.metadata))
    throw apiErrors.badRequest('metadata must be an object');
  // A deep copy: handlers add server fields, and the recorded request must keep what the client sent.
  const copy = clone(body);
  return { ...copy, metadata: { ...((copy.metadata as object | undefined) ?? {}) } } as KubeObject;
}

function checkIdentity(r: ResourceDef, req: ApiRequest, obj: KubeObject, expectKind = r.kind): void {
  const apiVersion = expectKind === 'Scale' ? 'autoscaling/v1' : apiVersionOf(r);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw apiErrors.badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`,
    );
  }
  if (obj.kind !== undefined && obj.kind !== expectKind) {
    throw apiErrors.badRequest(
      `the kind in the data (${obj.kind}) does not match the expected kind (${expectKind})`,
    );
  }
  const ns = obj.metadata.namespace;
  if (r.namespaced && ns !== undefined && ns !== '' && ns !== req.namespace) {
    throw apiErrors.badRequest(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  const name = obj.metadata.name;
  if (req.name !== undefined && name !== undefined && name !== req.name) {
    throw apiErrors.badRequest(
      `the name of the object (${name}) does not match the name on the URL (${req.name})`,
    );
  }
}

/** Validates and stores `view` as the new state; the shared tail of create, update and patch. */
function commit(env: ApiEnv, req: ApiRequest, old: KubeObject | undefined, view: KubeObject): KubeObject {
  const { r } = req;
  checkDecodable(view);
  const prepared = prepareWrite(
    old === undefined ? undefined : toStored(r, old),
    toStored(r, view),
    env.now(),
  );
  const asView = toView(r, prepared);
  const errs = validateObject(asView, old);
  if (errs.length > 0) throw apiErrors.invalid(r, asView.metadata.name ?? '', errs.map(toCause));
  if (
    old === undefined &&
    readView(env.store, r, req.namespace, prepared.metadata.name ?? '') !== undefined
  ) {
    throw apiErrors.alreadyExists(r, prepared.metadata.name ?? '');
  }
  if (req.query.dryRun === 'All')
    return { ...asView, metadata: { ...asView.metadata, resourceVersion: old?.metadata.resourceVersion } };
  return toView(r, env.store.save(prepared).object);
}

export function current(env: ApiEnv, req: ApiRequest): KubeObject {
  const found = readView(env.store, req.r, req.namespace, req.name ?? '');
  if (found === undefined) throw apiErrors.notFound(req.r, req.name ?? '');
  return found;
}

function checkResourceVersion(req: ApiRequest, cur: KubeObject, rv: unknown): void {
  if (req.forceConflict || (rv !== undefined && rv !== '' && rv !== cur.metadata.resourceVersion)) {
    throw apiErrors.conflict(req.r, req.name ?? '');
  }
}

/** PUT and PATCH land here with the full desired object (or Scale). */
export function update(env: ApiEnv, req: ApiRequest, cur: KubeObject, next: KubeObject): ApiResponse {
  const { r } = req;
  if (req.sub === 'scale') {
    checkIdentity(r, req, next, 'Scale');
    checkResourceVersion(req, cur, next.metadata.resourceVersion);
    const replicas = (next.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw failure(
        422,
        'Invalid',
        `Scale.autoscaling "${req.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    }
    const scaled = clone(cur);
    (scaled.spec as Record<string, unknown>).replicas = replicas;
    return { status: 200, body: toScale(commit(env, req, cur, scaled)) };
  }
  checkIdentity(r, req, next);
  checkResourceVersion(req, cur, next.metadata.resourceVersion);
  let merged: KubeObject;
  if (req.sub === 'status') merged = { ...cur, status: next.status };
  else {
    merged = { ...next, apiVersion: cur.apiVersion, kind: cur.kind };
    merged.metadata = { ...next.metadata, name: cur.metadata.name, namespace: cur.metadata.namespace };
    // The main resource ignores status changes; only /status writes it.
    if (r.status) merged.status = cur.status;
  }
  if (merged.status === undefined) delete merged.status;
  return { status: 200, body: commit(env, req, cur, merged) };
}

export function create(env: ApiEnv, req: ApiRequest): ApiResponse {
  const { r } = req;
  const body = requireBody(req.body);
  checkIdentity(r, req, body);
  if (r.namespaced && readView(env.store, namespaces, '', req.namespace) === undefined) {
    throw apiErrors.namespaceNotFound(req.namespace);
  }
  if (body.metadata.resourceVersion)
    throw apiErrors.badRequest('resourceVersion should not be set on objects to be created');
  const obj: KubeObject = { ...body, apiVersion: apiVersionOf(r), kind: r.kind };
  const meta = { ...obj.metadata };
  if (r.namespaced) meta.namespace = req.namespace;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix(5)}`;
  // Fields the server owns are overwritten, whatever the client sent.
  meta.uid = randomUUID();
  delete meta.creationTimestamp;
  delete meta.generation;
  delete meta.deletionTimestamp;
  obj.metadata = meta;
  if (r.status && r.kind !== 'Namespace') delete obj.status;
  beforeCreate(obj);
  return { status: 201, body: commit(env, req, undefined, obj) };
}

export function list(env: ApiEnv, req: ApiRequest): KubeObject[] {
  const labels = parseLabelSelector(req.query.labelSelector);
  const fields = parseFieldSelector(req.query.fieldSelector, apiVersionOf(req.r), req.r.kind);
  return listView(env.store, req.r, req.namespace === '' ? undefined : req.namespace).filter(
    (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o),
  );
}

export function asList(env: ApiEnv, r: ResourceDef, items: KubeObject[]): unknown {
  // Items of a typed list carry no apiVersion/kind on a real server.
  const bare = items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
  return { ...listKind(r), metadata: { resourceVersion: env.store.resourceVersion }, items: bare };
}

export function remove(env: ApiEnv, req: ApiRequest, cur: KubeObject): ApiResponse {
  const opts = isObject(req.body) ? req.body : {};
  const pre = isObject(opts.preconditions) ? opts.preconditions : {};
  if (
    (pre.uid && pre.uid !== cur.metadata.uid) ||
    (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion)
  ) {
    const e: ApiError = apiErrors.conflict(req.r, req.name ?? '');
    e.body.message = `Operation cannot be fulfilled on ${groupResource(req.r)} "${req.name}": Precondition failed: UID or ResourceVersion in precondition does not match the object`;
    throw e;
  }
  const propagation = (req.query.propagationPolicy ??
    opts.propagationPolicy ??
    (opts.orphanDependents === true ? 'Orphan' : 'Background')) as Propagation;
  if (req.query.dryRun !== 'All')
    deleteWithDependents(env.store, toStored(req.r, cur), propagation, env.now());
  const details = {
    name: cur.metadata.name,
    kind: req.r.plural,
    uid: cur.metadata.uid,
    ...(req.r.group ? { group: req.r.group } : {}),
  };
  return {
    status: 200,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details },
  };
}
