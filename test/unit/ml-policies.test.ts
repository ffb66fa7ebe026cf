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
