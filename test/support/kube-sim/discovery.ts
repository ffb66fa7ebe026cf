import { apiVersionOf, groupVersions, type ResourceDef, resources, verbs } from './resources.js';

function resourceEntry(r: ResourceDef) {
  const entry: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs,
  };
  if (r.shortNames) entry.shortNames = r.shortNames;
  if (r.categories) entry.categories = r.categories;
  return entry;
}

function subresourceEntries(r: ResourceDef) {
  const out: Array<Record<string, unknown>> = [];
  const sub = { singularName: '', namespaced: r.namespaced, verbs: ['get', 'patch', 'update'] };
  if (r.scale)
    out.push({ name: `${r.plural}/scale`, ...sub, group: 'autoscaling', version: 'v1', kind: 'Scale' });
  if (r.status) out.push({ name: `${r.plural}/status`, ...sub, kind: r.kind });
  return out;
}

/** Legacy (unaggregated) discovery documents; clients asking for aggregated discovery fall back to these. */
export function discovery(path: string, serverAddress: string): unknown | undefined {
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    };
  }
  const groups = groupVersions().filter((gv) => gv.group !== '');
  const groupDoc = (g: { group: string; version: string }) => {
    const gv = { groupVersion: `${g.group}/${g.version}`, version: g.version };
    return { name: g.group, versions: [gv], preferredVersion: gv };
  };
  if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDoc) };
  const m = /^\/apis\/([^/]+)$/.exec(path);
  if (m) {
    const g = groups.find((x) => x.group === m[1]);
    return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) };
  }
  const gv = path === '/api/v1' ? 'v1' : /^\/apis\/([^/]+\/[^/]+)$/.exec(path)?.[1];
  if (gv === undefined) return undefined;
  const rs = resources.filter((r) => apiVersionOf(r) === gv);
  if (rs.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: rs.flatMap((r) => [resourceEntry(r), ...subresourceEntries(r)]),
  };
}

export const versionInfo = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kube-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};
