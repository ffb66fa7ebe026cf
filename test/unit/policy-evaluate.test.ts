import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { SalveError } from '../../src/errors.js';
import { evaluateAlert, evaluateLabels } from '../../src/policy/evaluate.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import type { PolicyTable } from '../../src/policy/table.js';
import { fakeActions, fakeRegistry } from '../fixtures/policies/fake-registry.js';

const registry = fakeRegistry();

const POLICIES = `apiVersion: salve/v1
policies:
  - name: scorer-errors
    match: [alertname="ModelServingErrorRate", severity=~"critical|page"]
    target: { kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod, ml-staging] }
    steps:
      - action: fake.restart
        verify: { rollout: 5m }
      - action: fake.job
        with: { cronJob: "retrain-{{ labels.model }}", args: ["--uri={{ annotations.model_uri }}"] }
  - name: any-model-alert
    match: [alertname=~"Model.*", team="ml"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    steps: [{ action: fake.restart }]
  - name: on-recovery
    match: [alertname="ModelServingErrorRate"]
    on: resolved
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    steps: [{ action: fake.rollback, with: { toRevision: 1 } }]
  - name: job-from-label
    match: [alertname="RetrainRequested"]
    target: { kind: CronJob, namespace: ml-prod, name: "{{ labels.cronjob }}" }
    steps: [{ action: fake.job, with: { cronJob: "{{ labels.cronjob }}" } }]
`;

function table(): PolicyTable {
  const result = loadPolicyText('policies/test.yaml', POLICIES, registry);
  if (result.table === null) throw new Error(JSON.stringify(result.problems));
  return result.table;
}

const labels = {
  alertname: 'ModelServingErrorRate',
  severity: 'page',
  namespace: 'ml-prod',
  deployment: 'scorer',
  model: 'fraud',
};
const annotations = { model_uri: 's3://models/fraud/7' };

function firing(overrides: Record<string, string> = {}, ann: Record<string, string> = annotations) {
  return { status: 'firing' as const, labels: { ...labels, ...overrides }, annotations: ann };
}

describe('evaluateAlert', () => {
  it('resolves the target and every step for a matching policy', () => {
    expect(evaluateAlert(table(), firing(), registry)).toEqual([
      {
        outcome: 'match',
        policy: 'scorer-errors',
        target: { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' },
        targetKey: 'Deployment/ml-prod/scorer',
        steps: [
          { action: 'fake.restart', params: {}, verify: { rolloutMs: 300_000 } },
          {
            action: 'fake.job',
            params: { cronJob: 'retrain-fraud', args: ['--uri=s3://models/fraud/7'] },
            verify: {},
          },
        ],
      },
    ]);
  });

  it('returns nothing when a matcher does not hold', () => {
    expect(evaluateAlert(table(), firing({ severity: 'warning' }), registry)).toEqual([]);
    expect(evaluateAlert(table(), firing({ alertname: 'Other' }), registry)).toEqual([]);
  });

  it('returns every matching policy in table order, indexed or not', () => {
    const outcomes = evaluateAlert(table(), firing({ team: 'ml' }), registry);
    expect(outcomes.map((o) => [o.policy, o.outcome])).toEqual([
      ['scorer-errors', 'match'],
      ['any-model-alert', 'match'],
    ]);
  });

  it('matches on: resolved policies only against resolved alerts', () => {
    const resolved = { ...firing(), status: 'resolved' as const };
    expect(evaluateAlert(table(), resolved, registry)).toEqual([
      expect.objectContaining({
        outcome: 'match',
        policy: 'on-recovery',
        steps: [expect.objectContaining({ params: { toRevision: 1 } })],
      }),
    ]);
    expect(evaluateAlert(table(), firing(), registry).map((o) => o.policy)).not.toContain('on-recovery');
  });

  it('refuses with template_missing when a target label is absent or empty', () => {
    const { deployment: _, ...withoutDeployment } = labels;
    const absent = evaluateAlert(
      table(),
      { status: 'firing', labels: withoutDeployment, annotations },
      registry,
    );
    expect(absent).toEqual([
      {
        outcome: 'refused',
        policy: 'scorer-errors',
        reason: 'template_missing',
        detail: 'target.name "{{ labels.deployment }}" needs labels.deployment, which is missing or empty',
      },
    ]);
    expect(evaluateAlert(table(), firing({ namespace: '' }), registry)[0]).toMatchObject({
      reason: 'template_missing',
      detail: expect.stringContaining('labels.namespace'),
    });
  });

  it('refuses with template_missing when a with: template has no value, naming the parameter', () => {
    expect(evaluateAlert(table(), firing({}, {}), registry)).toEqual([
      {
        outcome: 'refused',
        policy: 'scorer-errors',
        reason: 'template_missing',
        detail: 'steps[1].with.args[0] needs annotations.model_uri, which is missing or empty',
      },
    ]);
  });

  it.each([
    [{ namespace: '../etc' }, 'target.namespace "../etc" is not a DNS-1123 label'],
    [{ namespace: 'ml.prod' }, 'target.namespace "ml.prod" is not a DNS-1123 label'],
    [{ deployment: 'Foo_Bar' }, 'target.name "Foo_Bar" is not a DNS-1123 subdomain'],
    [{ deployment: '../../secrets' }, 'target.name "../../secrets" is not a DNS-1123 subdomain'],
    [{ deployment: 'scorer\n' }, 'target.name "scorer\\n" is not a DNS-1123 subdomain'],
    [{ deployment: 'a'.repeat(254) }, 'is not a DNS-1123 subdomain'],
    [
      { deployment: '{{ labels.namespace }}' },
      'target.name "{{ labels.namespace }}" is not a DNS-1123 subdomain',
    ],
  ])('refuses %j as invalid_name', (overrides, detail) => {
    const [outcome] = evaluateAlert(table(), firing(overrides), registry);
    expect(outcome).toMatchObject({
      outcome: 'refused',
      reason: 'invalid_name',
      detail: expect.stringContaining(detail),
    });
  });

  it('refuses a namespace outside allow as not_allowed', () => {
    expect(evaluateAlert(table(), firing({ namespace: 'kube-system' }), registry)).toEqual([
      {
        outcome: 'refused',
        policy: 'scorer-errors',
        reason: 'not_allowed',
        detail: 'target.namespace "kube-system" is not in allow.namespaces (ml-prod, ml-staging)',
      },
    ]);
  });

  it('refuses rendered parameters the action schema rejects as invalid_params', () => {
    const alert = {
      status: 'firing' as const,
      labels: { alertname: 'RetrainRequested', cronjob: 'retrain.fraud' },
      annotations: {},
    };
    expect(evaluateAlert(table(), alert, registry)).toEqual([
      {
        outcome: 'refused',
        policy: 'job-from-label',
        reason: 'invalid_params',
        detail: 'steps[0].with.cronJob: expected a CronJob name',
      },
    ]);
  });

  it('fails loudly when the registry does not hold an action the table names', () => {
    const partial = createActionRegistry(fakeActions.filter((a) => a.kind !== 'fake.restart'));
    expect(() => evaluateAlert(table(), firing(), partial)).toThrow(
      expect.objectContaining({ code: 'SALVE_INTERNAL' }),
    );
  });
});

describe('evaluateLabels', () => {
  it('applies templates and allow but not matchers', () => {
    const outcome = evaluateLabels(
      table(),
      'scorer-errors',
      { namespace: 'ml-staging', deployment: 'scorer', model: 'm' },
      { model_uri: 'u' },
      registry,
    );
    expect(outcome).toMatchObject({ outcome: 'match', targetKey: 'Deployment/ml-staging/scorer' });
    expect(
      evaluateLabels(
        table(),
        'scorer-errors',
        { namespace: 'default', deployment: 'x', model: 'm' },
        {},
        registry,
      ),
    ).toMatchObject({
      outcome: 'refused',
      reason: 'not_allowed',
    });
    expect(evaluateLabels(table(), 'on-recovery', {}, {}, registry)).toMatchObject({
      reason: 'template_missing',
    });
  });

  it('throws SALVE_POLICY_NOT_FOUND for an unknown policy', () => {
    let caught: unknown;
    try {
      evaluateLabels(table(), 'nope', {}, {}, registry);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SalveError);
    expect(caught).toMatchObject({ code: 'SALVE_POLICY_NOT_FOUND', status: 404 });
  });
});
