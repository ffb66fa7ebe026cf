import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinActions } from '../../src/actions/registry.js';
import { renderClusterRole, renderRole } from '../../src/actions/render-rbac.js';
import type { RbacRule } from '../../src/actions/types.js';
import { isClusterScopedResource } from '../../src/domain/target.js';
import { ownerCacheRbac } from '../../src/kube/heads.js';

const rolePath = new URL('../../deploy/kubernetes/base/role.yaml', import.meta.url);
const clusterRolePath = new URL(
  '../../deploy/kubernetes/components/cluster-scoped/cluster-role.yaml',
  import.meta.url,
);

/**
 * Rules beside the actions' own: Events on changed objects, the leader-election Lease, and what the owner-chain
 * cache lists, watches and reads (ownerOf targets).
 */
const extraRules: RbacRule[] = [
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ...ownerCacheRbac,
];

/** `group/resource` -> sorted verbs: the permission a set of rules grants, however it is grouped. */
function permissions(rules: readonly RbacRule[]): Record<string, string[]> {
  const granted = new Map<string, Set<string>>();
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      for (const resource of rule.resources) {
        const key = `${group === '' ? 'core' : group}/${resource}`;
        const verbs = granted.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        granted.set(key, verbs);
      }
    }
  }
  return Object.fromEntries([...granted.entries()].sort().map(([key, verbs]) => [key, [...verbs].sort()]));
}

describe('deploy/kubernetes/base/role.yaml', () => {
  const role = parse(readFileSync(rolePath, 'utf8')) as {
    kind: string;
    metadata: { name: string };
    rules: RbacRule[];
  };

  it('is a namespaced Role named salve', () => {
    expect(role.kind).toBe('Role');
    expect(role.metadata.name).toBe('salve');
  });

  const clusterRole = parse(readFileSync(clusterRolePath, 'utf8')) as {
    kind: string;
    metadata: { name: string };
    rules: RbacRule[];
  };

  it('with the ClusterRole of the cluster-scoped component, grants exactly the union of the registered actions rules plus events and leases', () => {
    const wanted = permissions([...builtinActions.flatMap((action) => action.rbac), ...extraRules]);
    expect(permissions([...role.rules, ...clusterRole.rules])).toEqual(wanted);
  });

  it('keeps the rules on cluster-scoped resources (nodes) in the ClusterRole, and only those', () => {
    const scoped = (rules: readonly RbacRule[]) =>
      rules.flatMap((r) =>
        r.apiGroups.flatMap((g) => r.resources.map((res) => isClusterScopedResource(g, res))),
      );
    expect(clusterRole.kind).toBe('ClusterRole');
    expect(clusterRole.metadata.name).toBe('salve-cluster-healer');
    expect(scoped(role.rules)).not.toContain(true);
    expect(scoped(clusterRole.rules)).not.toContain(false);
    expect(permissions(clusterRole.rules)).toEqual({ 'core/nodes': ['get', 'patch'] });
    expect(readFileSync(clusterRolePath, 'utf8')).toBe(renderClusterRole());
  });

  it('lets the owner-chain cache list, watch and get every kind an owner chain passes through', () => {
    const granted = permissions(role.rules);
    for (const rule of ownerCacheRbac) {
      const [group] = rule.apiGroups;
      const key = `${group === '' ? 'core' : group}/${rule.resources[0]}`;
      expect(granted[key], key).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    }
  });

  it('is the Role the registry renders, comments included (regenerate: npm run generate)', () => {
    expect(readFileSync(rolePath, 'utf8')).toBe(renderRole());
  });

  it('grants no wildcard verb or resource', () => {
    for (const rule of role.rules) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
    }
  });

  it('gives every Kubernetes action the right to record its Event', () => {
    const kubeActions = builtinActions.filter((action) => action.rbac.length > 0);
    expect(kubeActions.length).toBeGreaterThan(0);
    for (const action of kubeActions) {
      expect(permissions(action.rbac)['events.k8s.io/events'], action.kind).toContain('create');
    }
  });
});
