import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { evaluateAlert } from '../../src/policy/evaluate.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { findOverlaps } from '../../src/policy/overlap.js';

const registry = createActionRegistry();

async function table() {
  const loaded = await loadPolicyDir('policies', registry);
  expect(loaded.problems).toEqual([]);
  if (loaded.table === null) throw new Error('no table');
  return loaded.table;
}

const labels = (alertname: string, extra: Record<string, string> = {}) => ({
  alertname,
  severity: 'critical',
  namespace: 'ml-platform',
  deployment: 'fraud-scorer',
  model: 'fraud-scorer',
  ...extra,
});

const platformOutcomes = async (alert: Record<string, string>) =>
  evaluateAlert(await table(), { status: 'firing', labels: alert, annotations: {} }, registry).filter((o) =>
    o.policy.startsWith('platform-'),
  );

describe('policies/ml-platform.yaml', () => {
  it('loads with the real registry and overlaps no other example policy', async () => {
    const t = await table();
    expect(t.policies.map((p) => p.name)).toEqual(
      expect.arrayContaining(['platform-prediction-drift', 'platform-accuracy-drop']),
    );
    expect(findOverlaps(t)).toEqual([]);
  });

  it('rolls the champion alias of the alerting model back, then restarts its serving Deployment', async () => {
    const [outcome, ...rest] = await platformOutcomes(labels('ModelAccuracyDrop'));
    expect(rest).toEqual([]);
    expect(outcome).toMatchObject({
      outcome: 'match',
      policy: 'platform-accuracy-drop',
      target: { kind: 'Deployment', namespace: 'ml-platform', name: 'fraud-scorer' },
      steps: [
        {
          action: 'mlflow.alias',
          params: {
            url: 'https://mlflow.internal.example.com',
            model: 'fraud-scorer',
            alias: 'champion',
            auth: { token: { env: 'MLFLOW_TRACKING_TOKEN' } },
          },
        },
        { action: 'k8s.restart', params: {} },
      ],
    });
  });

  it('retrains through Airflow with the model in the DAG run conf on prediction drift', async () => {
    const [outcome] = await platformOutcomes(labels('ModelPredictionDrift', { severity: 'warning' }));
    expect(outcome).toMatchObject({
      outcome: 'match',
      policy: 'platform-prediction-drift',
      steps: [
        {
          action: 'retrain.airflow',
          params: {
            dag: 'retrain_model',
            version: 3,
            conf: { model: 'fraud-scorer', deployment: 'fraud-scorer', reason: 'prediction drift (PSI)' },
          },
        },
      ],
    });
  });

  it('leaves alerts from other namespaces to the other policy files', async () => {
    expect(await platformOutcomes(labels('ModelAccuracyDrop', { namespace: 'ml-prod' }))).toEqual([]);
    expect(await platformOutcomes(labels('ModelPredictionDrift', { namespace: 'ml-prod' }))).toEqual([]);
  });
});

describe('a retired parameter', () => {
  it('loads with a warning at its line saying it has no effect and what to do instead', async () => {
    const { loadPolicyText } = await import('../../src/policy/loader.js');
    const text = `apiVersion: salve/v1
policies:
  - name: retrain
    match: ['alertname="Drift"']
    target: { kind: Model, namespace: ml-prod, name: fraud }
    steps:
      - action: webhook
        with:
          url: https://hooks.example/retrain
          retries: 3
`;
    const loaded = loadPolicyText('p.yaml', text, registry);
    expect(loaded.problems).toEqual([]);
    expect(loaded.table?.policies).toHaveLength(1);
    expect(loaded.warnings).toEqual([
      expect.objectContaining({
        file: 'p.yaml',
        path: 'policies[0].steps[0].with.retries',
        line: 10,
        message: expect.stringMatching(
          /^retries is deprecated and has no effect: a failed request fails the step/,
        ),
      }),
    ]);
  });
});
