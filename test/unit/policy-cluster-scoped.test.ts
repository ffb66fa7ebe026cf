import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { isClusterScopedKind, targetKeyOf, targetKeyPattern, targetLabel } from '../../src/domain/target.js';
import { evaluateLabels } from '../../src/policy/evaluate.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { remitOf } from '../../src/policy/remit.js';

// Cluster-scoped targets in a policy: a Node has no namespace, a Deployment always one, as Kubernetes serves
// them; a Node name an alert fills is bounded by allow.names like any designator; the key and the words of a
// target never show an empty or `undefined` segment.

const registry = createActionRegistry();

function load(target: string, allow?: string, action = 'k8s.cordon') {
  const text = `apiVersion: salve/v1
policies:
  - name: p
    match: [alertname="KubeNodeNotReady"]
    target: ${target}
${allow === undefined ? '' : `    allow: ${allow}\n`}    steps: [{ action: ${action} }]
`;
  return loadPolicyText('nodes.yaml', text, registry);
}

const problems = (...args: Parameters<typeof load>) => load(...args).problems.map(formatProblem);

describe('the target model', () => {
  it('keys and names a cluster-scoped target without a namespace segment', () => {
    const node = { kind: 'Node', name: 'worker-1' };
    expect(targetKeyOf(node)).toBe('Node/worker-1');
    expect(targetLabel(node)).toBe('Node worker-1');
    expect(targetKeyOf({ kind: 'Deployment', namespace: 'ml', name: 'scorer' })).toBe('Deployment/ml/scorer');
    expect(targetKeyPattern.test('Node/worker-1')).toBe(true);
    expect(targetKeyPattern.test('Deployment/ml/scorer')).toBe(true);
    for (const bad of ['Node/', 'Node//worker-1', 'Node/a/b/c', 'Node/../x', 'Node/wörker'])
      expect(targetKeyPattern.test(bad), bad).toBe(false);
  });

  it('knows the built-in cluster-scoped kinds; everything else is namespaced', () => {
    expect(['Node', 'Namespace', 'PersistentVolume', 'StorageClass'].every(isClusterScopedKind)).toBe(true);
    expect(
      ['Deployment', 'Pod', 'HorizontalPodAutoscaler', 'constructor', 'toString'].some(isClusterScopedKind),
    ).toBe(false);
  });
});

describe('a cluster-scoped target in a policy file', () => {
  it('loads a Node named by a template with its allow.names, and allows no namespace', () => {
    const { table, problems: found } = load(
      '{ kind: Node, name: "{{ labels.node }}" }',
      '{ names: [worker-1] }',
    );
    expect(found).toEqual([]);
    const policy = table!.policies[0]!;
    expect(policy.target).toEqual({ kind: 'Node', name: '{{ labels.node }}' });
    expect(policy.allow).toEqual({ namespaces: [], names: ['worker-1'] });
  });

  it('loads a Node written in the policy without any allow list', () => {
    expect(problems('{ kind: Node, name: worker-1 }')).toEqual([]);
  });

  it('refuses a namespace on a Node, naming file:line and the field', () => {
    expect(problems('{ kind: Node, namespace: kube-system, name: worker-1 }')).toEqual([
      'nodes.yaml:5:38 policies[0].target.namespace: must not be set: a Node is cluster-scoped, it lives in no namespace',
    ]);
  });

  it('requires a namespace of a namespaced kind, naming file:line and the field', () => {
    expect(problems('{ kind: Deployment, name: scorer }', undefined, 'k8s.restart')).toEqual([
      'nodes.yaml:5:5 policies[0].target.namespace: is required: a Deployment lives in a namespace (only cluster-scoped kinds such as Node have none)',
    ]);
  });

  it('requires allow.names when an alert fills the name of a Node', () => {
    expect(problems('{ kind: Node, name: "{{ labels.node }}" }')).toEqual([
      'nodes.yaml:5:33 policies[0].target.name: names a cluster-scoped Node and is filled from the alert: list the names an alert may choose in allow.names, or write the name in the policy',
    ]);
  });

  it('refuses k8s.cordon on a namespaced kind, and the namespaced actions on a Node', () => {
    expect(problems('{ kind: Deployment, namespace: ml, name: scorer }').join('\n')).toContain(
      'k8s.cordon does not support target kind Deployment (it supports Node)',
    );
    expect(problems('{ kind: Node, name: worker-1 }', undefined, 'k8s.restart').join('\n')).toContain(
      'k8s.restart does not support target kind Node',
    );
  });
});

describe('the remit of a Node target', () => {
  const { table } = load('{ kind: Node, name: "{{ labels.node }}" }', '{ names: [worker-1, worker-2] }');
  const labels = (node: string) => ({ alertname: 'KubeNodeNotReady', node });
  const outcome = (node: string) => evaluateLabels(table!, 'p', labels(node), {}, registry);

  it('matches a listed Node, bounded by allow.names, with a key of two segments', () => {
    const o = outcome('worker-2');
    expect(o).toMatchObject({
      outcome: 'match',
      targetKey: 'Node/worker-2',
      target: { kind: 'Node', name: 'worker-2' },
    });
    if (o.outcome !== 'match') throw new Error('expected a match');
    expect(o.target).not.toHaveProperty('namespace');
    const remit = remitOf(table!.index.byName.get('p')!, o.target, o.steps, registry);
    expect(remit).toEqual({
      ok: true,
      bounds: [{ field: 'target.name', value: 'worker-2', bound: 'allow.names' }],
    });
  });

  it('refuses a Node outside allow.names, and names nobody can give a Node', () => {
    expect(outcome('worker-3')).toMatchObject({
      outcome: 'refused',
      reason: 'not_allowed',
      detail: 'target.name "worker-3" is not in allow.names (worker-1, worker-2)',
    });
    for (const node of ['worker-1/../worker-2', '..', 'wörker', 'x'.repeat(300), '', 'Worker-1']) {
      const o = outcome(node);
      expect(o.outcome, node).toBe('refused');
      if (o.outcome === 'refused') expect(['invalid_name', 'template_missing']).toContain(o.reason);
    }
  });

  it('refuses, in the allowed guard, a Node heal whose policy now names a namespaced target', () => {
    const { table: now } = load(
      '{ kind: Deployment, namespace: ml, name: scorer }',
      undefined,
      'k8s.restart',
    );
    const check = remitOf(now!.index.byName.get('p')!, { kind: 'Node', name: 'worker-1' }, [], registry);
    expect(check.ok).toBe(false);
  });
});
