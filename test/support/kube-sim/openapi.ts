import { apiVersionOf, groupVersions, resources } from './resources.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/**
 * A minimal OpenAPI v3: the index and, per group/version, the PATCH operations with their GVK extension and the
 * fieldValidation query parameter. That is what kubectl looks for to validate on the server instead of
 * downloading schemas (kubectl apply, create -f). No schemas: clients fall back to their built-in types.
 */
export function openapiV3(path: string): unknown | undefined {
  if (path === '/openapi/v3') {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of groupVersions()) {
      const p = gvPath(gv.group, gv.version);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=kube-sim-${gv.group || 'core'}-${gv.version}` };
    }
    return { paths };
  }
  const gv = groupVersions().find((g) => path === `/openapi/v3/${gvPath(g.group, g.version)}`);
  if (gv === undefined) return undefined;
  const paths: Record<string, unknown> = {};
  for (const r of resources.filter(
    (x) => apiVersionOf(x) === apiVersionOf({ ...x, ...gv }) && x.group === gv.group,
  )) {
    const prefix = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    paths[prefix] = {
      patch: {
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
        parameters: [{ name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } }],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
