import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { ownerWatchPlan } from '../../src/policy/target.js';

// `target.ownerOf` at load time: a target is named or resolved, never both; what it resolves to must be a kind the
// object's controllers can lead to; the subject's name template must be able to render a name.

const registry = createActionRegistry();

function load(target: string, allow = '{ namespaces: [shop] }') {
  const text = `apiVersion: salve/v1
policies:
  - name: p
    match: [alertname="KubePodCrashLooping"]
    target: ${target}
    allow: ${allow}
    steps: [{ action: k8s.restart }]
`;
  return loadPolicyText('x.yaml', text, registry);
}

const messages = (target: string) => load(target).problems.map((p) => `${p.path}: ${p.message}`);

describe('target.ownerOf in a policy file', () => {
  it('loads a target resolved from the pod an alert names', () => {
    const { problems, table } = load(
      '{ kind: Deployment, namespace: "{{ labels.namespace }}", ownerOf: { kind: Pod, name: "{{ labels.pod }}" } }',
    );
    expect(problems).toEqual([]);
    expect(table?.policies[0]?.target).toEqual({
      kind: 'Deployment',
      namespace: '{{ labels.namespace }}',
      ownerOf: { kind: 'Pod', name: '{{ labels.pod }}' },
    });
  });

  it('refuses a target that is both named and resolved, or neither', () => {
    expect(
      messages('{ kind: Deployment, namespace: shop, name: x, ownerOf: { kind: Pod, name: y } }'),
    ).toEqual([
      'policies[0].target.ownerOf: excludes target.name: a target is either named or resolved through ownerOf',
    ]);
    expect(messages('{ kind: Deployment, namespace: shop }')).toEqual([
      'policies[0].target.name: is required, or ownerOf to resolve the target through the controllers of the object an alert is about',
    ]);
  });

  it('refuses subjects salve does not follow and targets their controllers never lead to', () => {
    expect(messages('{ kind: Deployment, namespace: shop, ownerOf: { kind: Service, name: x } }')).toEqual([
      'policies[0].target.ownerOf.kind: expected Pod, ReplicaSet, Job, HorizontalPodAutoscaler: the kinds whose controllers salve follows',
    ]);
    expect(messages('{ kind: DaemonSet, namespace: shop, ownerOf: { kind: Job, name: x } }')).toEqual([
      'policies[0].target.kind: the controllers of a Job never lead to a DaemonSet: expected CronJob',
    ]);
  });

  it('refuses a subject name template that can never render to a name', () => {
    expect(
      messages('{ kind: Deployment, namespace: shop, ownerOf: { kind: Pod, name: "Pod_{{ labels.pod }}" } }'),
    ).toEqual([
      'policies[0].target.ownerOf.name: "Pod_{{ labels.pod }}" can never render to a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
    ]);
  });

  it('the owner-chain cache watches the chain kinds in the namespaces ownerOf policies allow, and nothing for the others', () => {
    const text = `apiVersion: salve/v1
policies:
  - name: cronjob-failed
    match: [alertname="KubeJobFailed"]
    target: { kind: CronJob, namespace: "{{ labels.namespace }}", ownerOf: { kind: Job, name: "{{ labels.job_name }}" } }
    allow: { namespaces: [ml, data] }
    steps: [{ action: retrain.cronjob }]
  - name: named
    match: [alertname="KubeDeploymentReplicasMismatch"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [shop] }
    steps: [{ action: k8s.restart }]
`;
    const { table, problems } = loadPolicyText('x.yaml', text, registry);
    expect(problems).toEqual([]);
    const plan = ownerWatchPlan(table!);
    expect([...plan.keys()].sort()).toEqual(['data', 'ml']);
    expect([...(plan.get('ml') ?? [])].sort()).toEqual(['CronJob', 'Job']);
  });
});

describe('deploy/policy-packs/kube-prometheus.yaml', () => {
  const pack = fs.readFileSync('deploy/policy-packs/kube-prometheus.yaml', 'utf8');

  it('does not load until its placeholders are replaced, and points at each', () => {
    const problems = loadPolicyText('kube-prometheus.yaml', pack, registry).problems;
    const placeholderLines = pack
      .split('\n')
      .flatMap((line, i) => (line.includes('CHANGE-ME') && !line.trimStart().startsWith('#') ? [i + 1] : []));
    expect(placeholderLines).toHaveLength(6);
    expect(problems.map((p) => [p.line, p.path])).toEqual(
      placeholderLines.map((line, i) => [line, `policies[${i}].allow.namespaces[0]`]),
    );
    expect(problems.map(formatProblem)[0]).toMatch(/expected a DNS-1123 label/);
  });

  it('loads once they are, with no problem and no overlap warning', () => {
    const ready = loadPolicyText('kube-prometheus.yaml', pack.replaceAll('CHANGE-ME', 'shop'), registry);
    expect(ready.problems).toEqual([]);
    expect(ready.warnings).toEqual([]);
    expect(ready.table?.policies.map((p) => p.name)).toEqual([
      'kube-pod-unhealthy',
      'kube-deployment-rollout-stuck',
      'kube-statefulset-update-stuck',
      'kube-daemonset-rollout-stuck',
      'kube-cronjob-failed',
      'kube-hpa-maxed-out',
    ]);
  });
});
