import { describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { evaluateAlert } from '../../src/policy/evaluate.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { findOverlaps } from '../../src/policy/overlap.js';

describe('the example policies in policies/', () => {
  it('load against the real action registry without problems, warnings or overlaps', async () => {
    const registry = createActionRegistry();
    const { table, problems, warnings } = await loadPolicyDir('policies', registry);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    if (table === null) throw new Error('no table');
    expect(table.policies.map((p) => p.name)).toEqual([
      'platform-prediction-drift',
      'platform-accuracy-drop',
      'scorer-error-rate',
      'scorer-latency-p99',
      'model-prediction-drift',
      'model-accuracy-drop',
    ]);
    expect(findOverlaps(table)).toEqual([]);
  });

  it('turn the design brief example alert into restart, rollback, retrain on the scorer', async () => {
    const registry = createActionRegistry();
    const { table } = await loadPolicyDir('policies', registry);
    if (table === null) throw new Error('no table');
    const alert = {
      status: 'firing' as const,
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment: 'scorer',
        model: 'fraud',
      },
      annotations: {},
    };
    expect(evaluateAlert(table, alert, registry)).toEqual([
      {
        outcome: 'match',
        policy: 'scorer-error-rate',
        target: { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' },
        targetKey: 'Deployment/ml-prod/scorer',
        steps: [
          { action: 'k8s.restart', params: {}, verify: { rolloutMs: 300_000, resolvedMs: 600_000 } },
          {
            action: 'k8s.rollback',
            params: { mode: 'lastKnownGood' },
            verify: { rolloutMs: 300_000, resolvedMs: 900_000 },
          },
          { action: 'retrain.cronjob', params: { cronJob: 'retrain-fraud' }, verify: {} },
        ],
      },
    ]);
  });
});
