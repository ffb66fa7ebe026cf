import { isClusterScopedResource } from '../domain/target.js';
import { ownerCacheRbac } from '../kube/heads.js';
import { eventRule } from './k8s/rbac.js';
import { builtinActions } from './registry.js';
import type { AnyAction, RbacRule } from './types.js';

// deploy/kubernetes/base/role.yaml and deploy/kubernetes/components/cluster-scoped/cluster-role.yaml, generated
// from the registry (`npm run generate`): exactly the union of the actions' rules plus what salve itself needs,
// split by scope. A RoleBinding grants a role's rules on namespaced resources only, in its own namespace; a
// rule on a cluster-scoped resource (nodes) takes a ClusterRole and a ClusterRoleBinding, which a deployment
// opts into with the component. A test fails when the files and the registry disagree.

/** A rule and who needs it: an action (by kind), or `salve` itself. */
type Need = { rule: RbacRule; by: string };

/**
 * Beside the actions' own rules: Event series are patched, the leader-election Lease, and the owner-chain cache
 * (ownerOf targets) lists and watches the kinds a chain passes through, reading one by name on a miss.
 */
export const platformRules: readonly Need[] = [
  ...ownerCacheRbac.map((rule) => ({
    rule: {
      ...rule,
      why: 'ownerOf targets: the owner-chain cache lists and watches them, reads one on a miss',
    },
    by: 'salve',
  })),
  { rule: { ...eventRule, verbs: ['create', 'patch'], why: 'Event series' }, by: 'salve' },
  {
    rule: {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'create', 'update'],
      why: 'leader election between replicas',
    },
    by: 'salve',
  },
];

/** One rule of the Role, and for each reason the kinds that give it. */
type Grant = { group: string; resources: Set<string>; verbs: string[]; why: Map<string, Set<string>> };

export type RbacScope = 'namespaced' | 'cluster';

/**
 * One rule per API group and set of verbs, resources and verbs sorted: the permission granted is the union of
 * the needs, however the actions group their rules. `scope` keeps the resources of one scope: namespaced ones
 * for the Role, cluster-scoped ones (nodes) for the ClusterRole.
 */
export function roleRules(
  actions: readonly AnyAction[] = builtinActions,
  scope: RbacScope = 'namespaced',
): Grant[] {
  const needs: Need[] = [
    ...actions.flatMap((a) => a.rbac.map((rule) => ({ rule, by: a.kind }))),
    ...platformRules,
  ];
  const byResource = new Map<string, { verbs: Set<string>; needs: Need[] }>();
  for (const need of needs) {
    for (const group of need.rule.apiGroups) {
      for (const resource of need.rule.resources) {
        if (isClusterScopedResource(group, resource) !== (scope === 'cluster')) continue;
        const key = `${group}\u0000${resource}`;
        const entry = byResource.get(key) ?? { verbs: new Set<string>(), needs: [] };
        for (const verb of need.rule.verbs) entry.verbs.add(verb);
        entry.needs.push(need);
        byResource.set(key, entry);
      }
    }
  }
  const grants = new Map<string, Grant>();
  for (const [key, { verbs, needs: who }] of byResource) {
    const [group, resource] = key.split('\u0000') as [string, string];
    const sorted = [...verbs].sort();
    const id = `${group}\u0000${sorted.join(',')}`;
    const grant = grants.get(id) ?? { group, resources: new Set(), verbs: sorted, why: new Map() };
    grant.resources.add(resource);
    for (const { rule, by } of who) {
      const why = rule.why ?? 'needs it';
      grant.why.set(why, (grant.why.get(why) ?? new Set<string>()).add(by));
    }
    grants.set(id, grant);
  }
  return [...grants.values()];
}

/** "k8s.rollback, k8s.restart: read the workload, patch its pod template", one line per reason. */
function comments(grant: Grant): string[] {
  return [...grant.why].map(([why, by]) => `  # ${[...by].join(', ')}: ${why}`);
}

const list = (items: Iterable<string>) => `[${[...items].map((item) => JSON.stringify(item)).join(', ')}]`;

function ruleLines(grants: readonly Grant[]): string[] {
  return grants.flatMap((grant) => [
    ...comments(grant),
    `  - apiGroups: ${list([grant.group])}`,
    `    resources: ${list([...grant.resources].sort())}`,
    `    verbs: ${list(grant.verbs)}`,
  ]);
}

/** The whole role.yaml: the rules on namespaced resources. */
export function renderRole(actions: readonly AnyAction[] = builtinActions): string {
  const lines = [
    "# Least privilege for salve in the namespaces it heals: exactly the union of the registered actions' rbac",
    '# rules (`salve actions` lists them per action), plus Events, the leader-election Lease and the owner-chain',
    "# cache's reads.",
    '# Generated from the action registry by `npm run generate`; test/unit/actions-rbac.test.ts keeps it so.',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    '  name: salve',
    '  labels:',
    '    app.kubernetes.io/name: salve',
    'rules:',
    ...ruleLines(roleRules(actions)),
  ];
  return `${lines.join('\n')}\n`;
}

/** The whole cluster-role.yaml: the rules on cluster-scoped resources (a Node), granted cluster-wide. */
export function renderClusterRole(actions: readonly AnyAction[] = builtinActions): string {
  const grants = roleRules(actions, 'cluster');
  const lines = [
    '# What the registered actions need on cluster-scoped resources (Nodes): exactly those rules of their rbac, and',
    '# nothing namespaced (role.yaml has those). Bound cluster-wide by bindings.yaml: only with this component.',
    '# Generated from the action registry by `npm run generate`; test/unit/actions-rbac.test.ts keeps it so.',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: ClusterRole',
    'metadata:',
    '  name: salve-cluster-healer',
    '  labels:',
    '    app.kubernetes.io/name: salve',
    grants.length === 0 ? 'rules: []' : 'rules:',
    ...ruleLines(grants),
  ];
  return `${lines.join('\n')}\n`;
}
