import { eventRule } from './k8s/rbac.js';
import { builtinActions } from './registry.js';
import type { AnyAction, RbacRule } from './types.js';

// deploy/kubernetes/base/role.yaml, generated from the registry (`npm run generate`): exactly the union of the
// actions' rules plus what salve itself needs; a test fails when the file and the registry disagree.

/** A rule and who needs it: an action (by kind), or `salve` itself. */
type Need = { rule: RbacRule; by: string };

/** Beside the actions' own rules: Event series are patched, and the leader-election Lease. */
export const platformRules: readonly Need[] = [
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

/**
 * One rule per API group and set of verbs, resources and verbs sorted: the permission granted is the union of
 * the needs, however the actions group their rules.
 */
export function roleRules(actions: readonly AnyAction[] = builtinActions): Grant[] {
  const needs: Need[] = [
    ...actions.flatMap((a) => a.rbac.map((rule) => ({ rule, by: a.kind }))),
    ...platformRules,
  ];
  const byResource = new Map<string, { verbs: Set<string>; needs: Need[] }>();
  for (const need of needs) {
    for (const group of need.rule.apiGroups) {
      for (const resource of need.rule.resources) {
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

/** The whole role.yaml. */
export function renderRole(actions: readonly AnyAction[] = builtinActions): string {
  const lines = [
    "# Least privilege for salve in the namespaces it heals: exactly the union of the registered actions' rbac",
    '# rules (`salve actions` lists them per action), plus Events and the leader-election Lease.',
    '# Generated from the action registry by `npm run generate`; test/unit/actions-rbac.test.ts keeps it so.',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    '  name: salve',
    '  labels:',
    '    app.kubernetes.io/name: salve',
    'rules:',
  ];
  for (const grant of roleRules(actions)) {
    lines.push(
      ...comments(grant),
      `  - apiGroups: ${list([grant.group])}`,
      `    resources: ${list([...grant.resources].sort())}`,
      `    verbs: ${list(grant.verbs)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
