import { findResource, type ResourceDef } from './resources.js';

export type ResourceRoute = { r: ResourceDef; namespace: string; name?: string; sub?: string };

/**
 * /api/v1/[namespaces/NS/]PLURAL[/NAME[/SUB]] and /apis/GROUP/VERSION/... ; undefined when no resource matches.
 */
export function parseResourcePath(path: string): ResourceRoute | undefined {
  const segs = path
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1] ?? '';
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1] ?? '';
    version = segs[2] ?? '';
    rest = segs.slice(3);
  } else return undefined;
  let namespace = '';
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    findResource(group, version, rest[2] ?? '')?.namespaced
  ) {
    namespace = rest[1] ?? '';
    rest = rest.slice(2);
  }
  const r = findResource(group, version, rest[0] ?? '');
  if (r === undefined || rest.length > 3) return undefined;
  // A namespaced resource addressed by name needs its namespace in the path.
  if (r.namespaced && namespace === '' && rest.length > 1) return undefined;
  const route: ResourceRoute = { r, namespace };
  if (rest[1] !== undefined) route.name = rest[1];
  if (rest[2] !== undefined) route.sub = rest[2];
  return route;
}
