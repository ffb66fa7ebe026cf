import { apiErrors, failure } from '../status.js';
import { clone, deepEqual, isObject } from '../util.js';

type Op = { op: string; path: string; value?: unknown; from?: string };

function unprocessable(message: string) {
  // The API server answers patch-application failures with a bare 422 (NewGenericServerResponse).
  return failure(422, 'Invalid', message);
}

function parsePointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw apiErrors.badRequest(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function decode(body: unknown): Op[] {
  if (!Array.isArray(body))
    throw apiErrors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  return body.map((op) => {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw apiErrors.badRequest('invalid JSON patch operation: op and path are required');
    }
    return op as Op;
  });
}

/** Walks to the parent of the pointer's last segment. */
function parentOf(doc: unknown, segs: string[], path: string): { parent: unknown; key: string } {
  let cur = doc;
  for (const s of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(s)];
    else if (isObject(cur)) cur = cur[s];
    else cur = undefined;
    if (cur === undefined) throw unprocessable(`doc is missing path: "${path}": missing value`);
  }
  return { parent: cur, key: segs[segs.length - 1] ?? '' };
}

function index(arr: unknown[], key: string, path: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  const i = Number(key);
  const max = forAdd ? arr.length : arr.length - 1;
  if (!/^\d+$/.test(key) || i > max) throw unprocessable(`Unable to access invalid index: ${key}: "${path}"`);
  return i;
}

function read(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  if (segs.length === 0) return doc;
  const { parent, key } = parentOf(doc, segs, path);
  const v = Array.isArray(parent)
    ? parent[index(parent, key, path, false)]
    : isObject(parent)
      ? parent[key]
      : undefined;
  if (v === undefined) throw unprocessable(`doc is missing path: "${path}": missing value`);
  return v;
}

function write(doc: unknown, path: string, value: unknown, mode: 'add' | 'replace'): unknown {
  const segs = parsePointer(path);
  if (segs.length === 0) return value;
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) {
    const i = index(parent, key, path, mode === 'add');
    if (mode === 'add') parent.splice(i, 0, value);
    else parent[i] = value;
  } else if (isObject(parent)) {
    if (mode === 'replace' && !Object.hasOwn(parent, key)) {
      throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    }
    parent[key] = value;
  } else throw unprocessable(`doc is missing path: "${path}": missing value`);
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const segs = parsePointer(path);
  const { parent, key } = parentOf(doc, segs, path);
  if (Array.isArray(parent)) parent.splice(index(parent, key, path, false), 1);
  else if (isObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw unprocessable(`remove operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

/** RFC 6902 JSON Patch. */
export function applyJsonPatch(target: unknown, body: unknown): unknown {
  let doc = clone(target);
  for (const op of decode(body)) {
    switch (op.op) {
      case 'add':
        doc = write(doc, op.path, clone(op.value), 'add');
        break;
      case 'replace':
        doc = write(doc, op.path, clone(op.value), 'replace');
        break;
      case 'remove':
        doc = remove(doc, op.path);
        break;
      case 'move': {
        const v = read(doc, op.from ?? '');
        doc = remove(doc, op.from ?? '');
        doc = write(doc, op.path, v, 'add');
        break;
      }
      case 'copy':
        doc = write(doc, op.path, clone(read(doc, op.from ?? '')), 'add');
        break;
      case 'test':
        if (!deepEqual(read(doc, op.path), op.value)) {
          throw unprocessable(`testing value ${op.path} failed: test failed`);
        }
        break;
      default:
        throw apiErrors.badRequest(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}
