import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinActions } from '../../src/actions/registry.js';
import { renderRole } from '../../src/actions/render-rbac.js';
import type { RbacRule } from '../../src/actions/types.js';

const rolePath = new URL('../../deploy/kubernetes/base/role.yaml', import.meta.url);

/** Rules beside the actions' own: Events on changed objects and the leader-election Lease. */
const extraRules: RbacRule[] = [
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
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

  it('grants exactly the union of the registered actions rules plus events and leases', () => {
    const wanted = permissions([...builtinActions.flatMap((action) => action.rbac), ...extraRules]);
    expect(permissions(role.rules)).toEqual(wanted);
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
