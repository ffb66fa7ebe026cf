import { describe, expect, it } from 'vitest';
import { assessAutonomy, percentText, stepRecordOf, windowText } from '../../src/domain/autonomy.js';
import { computeEffectiveness, percentiles } from '../../src/domain/effectiveness.js';
import type { HealRecord } from '../../src/domain/heal-record.js';
import { triedSteps } from '../../src/domain/heal-record.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';

const registry = fakeRegistry();
const T = (m: number) => new Date(Date.UTC(2026, 10, 27, 3, m)).toISOString();

function record(extra: Partial<HealRecord> & Pick<HealRecord, 'state'>): HealRecord {
  return {
    id: `heal_${Math.random()}`,
    policy: 'p',
    targetKey: 'Deployment/ml-prod/a',
    reason: null,
    step: 0,
    steps: ['k8s.restart', 'k8s.rollback'],
    dryRun: false,
    approvedBy: null,
    openedAt: T(0),
    closedAt: extra.state === 'running' ? null : T(5),
    actions: [{ step: 0, action: 'k8s.restart', status: 'changed', startedAt: T(0), dryRun: false }],
    ...extra,
  };
}

const policyWith = (guards: string) => `apiVersion: salve/v1
policies:
  - name: p
    match: [alertname="X"]
    target: { kind: Deployment, namespace: ml-prod, name: a }
    steps: [{ action: fake.restart }]
    guards: ${guards}
`;

describe('guards.autonomy in a policy file', () => {
  it('takes the bound, the samples and the window, with the ML-operations defaults', () => {
    const full = loadPolicyText(
      'p.yaml',
      policyWith('{ autonomy: { minSuccessRate: 0.8, minSamples: 3, window: 7d } }'),
      registry,
    );
    expect(full.table?.byName.get('p')?.guards.autonomy).toEqual({
      minSuccessRate: 0.8,
      minSamples: 3,
      windowMs: 7 * 86_400_000,
    });
    const defaults = loadPolicyText('p.yaml', policyWith('{ autonomy: {} }'), registry);
    expect(defaults.table?.byName.get('p')?.guards.autonomy).toEqual({
      minSuccessRate: 0.9,
      minSamples: 5,
      windowMs: 30 * 86_400_000,
    });
    expect(
      loadPolicyText('p.yaml', policyWith('{}'), registry).table?.byName.get('p')?.guards.autonomy,
    ).toBeNull();
  });

  it.each([
    ['{ autonomy: { minSuccessRate: 90 } }', 'guards.autonomy.minSuccessRate', 'between 0 and 1'],
    ['{ autonomy: { minSuccessRate: "high" } }', 'guards.autonomy.minSuccessRate', 'between 0 and 1'],
    ['{ autonomy: { minSamples: 0 } }', 'guards.autonomy.minSamples', 'at least 1'],
    ['{ autonomy: { minSamples: 2.5 } }', 'guards.autonomy.minSamples', 'whole number'],
    ['{ autonomy: { window: 30 } }', 'guards.autonomy.window', 'duration'],
    ['{ autonomy: { window: 0s } }', 'guards.autonomy.window', 'longer than 0'],
    ['{ autonomy: { minRate: 0.9 } }', 'guards.autonomy', 'minRate'],
  ])('refuses %s, saying where and what', (guards, path, words) => {
    const { table, problems } = loadPolicyText('p.yaml', policyWith(guards), registry);
    expect(table).toBeNull();
    expect(problems.map(formatProblem).join('\n')).toContain(path);
    expect(problems.map(formatProblem).join('\n')).toContain(words);
  });
});

describe('a step earns autonomy from its record', () => {
  const rule = { minSuccessRate: 0.9, minSamples: 5, windowMs: 30 * 86_400_000 };

  it('says the wait in numbers, rounding down so a rate below the bound never reads as it', () => {
    expect(assessAutonomy(rule, { samples: 7, resolved: 3 }, 'k8s.restart')).toEqual({
      confident: false,
      record: { samples: 7, resolved: 3 },
      detail:
        'k8s.restart resolved 3 of 7 (42.8 %) in 30 days; needs 90 % over at least 5: waits for approval',
    });
    expect(assessAutonomy(rule, { samples: 4, resolved: 4 }, 'x').confident).toBe(false);
    expect(assessAutonomy(rule, { samples: 10, resolved: 9 }, 'x').confident).toBe(true);
    expect(assessAutonomy(rule, { samples: 1000, resolved: 899 }, 'x').detail).toContain('(89.9 %)');
    expect(percentText(0.9)).toBe('90 %');
    expect(windowText(86_400_000)).toBe('1 day');
    expect(windowText(90 * 60_000)).toBe('90 minutes');
  });

  it('counts ended heals that tried the step: approved ones too, dry runs and open heals never', () => {
    const window = { since: T(0), until: T(60) };
    const records = [
      record({ state: 'resolved', approvedBy: 'token:ops' }),
      record({ state: 'resolved' }),
      record({ state: 'escalated' }),
      // Went on to the rollback: a sample of the restart that did not resolve, and one of the rollback.
      record({
        state: 'resolved',
        step: 1,
        actions: [
          { step: 0, action: 'k8s.restart', status: 'changed', startedAt: T(0), dryRun: false },
          { step: 1, action: 'k8s.rollback', status: 'changed', startedAt: T(3), dryRun: false },
        ],
      }),
      record({ state: 'dry_run', reason: 'would have resolved: alerts_resolved', dryRun: true }),
      record({ state: 'running' }),
      record({ state: 'resolved', policy: 'other' }),
      record({ state: 'resolved', openedAt: T(70), closedAt: T(75) }),
      // Refused before acting: no sample.
      record({ state: 'refused', reason: 'cooldown', actions: [] }),
    ];
    expect(stepRecordOf(records, 'p', 0, window)).toEqual({ samples: 4, resolved: 2 });
    expect(stepRecordOf(records, 'p', 1, window)).toEqual({ samples: 1, resolved: 1 });
  });

  it('an action that failed is a failure of its step, whatever came after', () => {
    const r = record({
      state: 'escalated',
      actions: [{ step: 0, action: 'k8s.restart', status: 'failed', startedAt: T(0), dryRun: false }],
    });
    expect(triedSteps(r)).toEqual([{ step: 0, action: 'k8s.restart', outcome: 'failed', dryRun: false }]);
  });
});

describe('effectiveness statistics', () => {
  it('nearest-rank percentiles', () => {
    expect(percentiles([])).toEqual({ count: 0, median: null, p90: null });
    expect(percentiles([30, 10, 20])).toEqual({ count: 3, median: 20, p90: 30 });
    expect(percentiles(Array.from({ length: 10 }, (_, i) => i + 1))).toEqual({
      count: 10,
      median: 5,
      p90: 9,
    });
  });

  it('counts refusals at the step they stopped, and the breaker on a later step', () => {
    const stats = computeEffectiveness(
      [
        record({ state: 'refused', reason: 'cooldown', actions: [] }),
        record({ state: 'escalated', reason: 'loop_breaker', step: 1 }),
      ],
      { since: T(0), until: T(60) },
    );
    const [restart, rollback] = stats.policies[0]!.steps;
    expect(restart).toMatchObject({ attempts: 1, refusals: { cooldown: 1 }, outcomes: { next_step: 1 } });
    expect(rollback).toMatchObject({ attempts: 0, refusals: { loop_breaker: 1 } });
  });
});
