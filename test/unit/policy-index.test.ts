import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateAlert, evaluateLabels } from '../../src/policy/evaluate.js';
import { matchesAll, parseMatcher } from '../../src/policy/matchers.js';
import { createPolicyTable, type PolicyTable } from '../../src/policy/table.js';
import type { LabelMatcher, Policy } from '../../src/policy/types.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';

const registry = fakeRegistry();

// Alertname matchers of every kind the index treats differently: pinned by `=`, pinned by a literal
// alternation, open regexes, negations, the empty value (absent label), and none at all.
const alertnameMatcher = fc.constantFrom(
  'alertname="A"',
  'alertname="B"',
  'alertname=""',
  'alertname=~"A|B"',
  'alertname=~"B|C|"',
  'alertname=~"A.*"',
  'alertname!="A"',
  'alertname!~"B|C"',
  null,
);
const otherMatcher = fc.constantFrom(
  'env="prod"',
  'env!="dev"',
  'team=~"ml|data"',
  'team=""',
  'alertname="C"',
);

function matcher(text: string): LabelMatcher {
  const parsed = parseMatcher(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.matcher;
}

const policyArb = fc.record({
  alertname: alertnameMatcher,
  others: fc.array(otherMatcher, { maxLength: 2 }),
  on: fc.constantFrom('firing' as const, 'resolved' as const),
});

type Spec = { alertname: string | null; others: readonly string[]; on: 'firing' | 'resolved' };

function buildTable(specs: readonly Spec[]): PolicyTable {
  const policies: Policy[] = specs.map((spec, index) => {
    const texts = [spec.alertname, ...spec.others].filter((t): t is string => t !== null);
    return {
      name: `p${index}`,
      description: '',
      source: { file: 'prop.yaml', index },
      match: (texts.length > 0 ? texts : ['env!="never"']).map(matcher),
      on: spec.on,
      target: { kind: 'Deployment', namespace: '{{ labels.ns }}', name: '{{ labels.dep }}' },
      allow: { namespaces: ['ml-prod'] },
      steps: [{ action: 'fake.restart', with: {}, verify: {} }],
      guards: {
        cooldownMs: 0,
        maxPerTarget: null,
        approval: false,
        pageAfterMs: null,
        dryRun: false,
        autonomy: null,
      },
      notify: [],
    };
  });
  return createPolicyTable(policies, { files: ['prop.yaml'], loadedAt: '2024-01-01T00:00:00.000Z' });
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const alertArb = fc.record({
  status: fc.constantFrom('firing' as const, 'resolved' as const),
  alertname: optional(fc.constantFrom('A', 'B', 'C', 'AX', '')),
  env: optional(fc.constantFrom('prod', 'dev')),
  team: optional(fc.constantFrom('ml', 'data', 'web')),
  ns: optional(fc.constantFrom('ml-prod', 'kube-system', 'Bad_NS')),
  dep: optional(fc.constantFrom('scorer', '')),
});

describe('the alertname index', () => {
  it('gives exactly what a linear scan of the whole table gives', () => {
    fc.assert(
      fc.property(
        fc.array(policyArb, { maxLength: 25 }),
        fc.array(alertArb, { minLength: 1, maxLength: 10 }),
        (specs, alerts) => {
          const table = buildTable(specs);
          for (const a of alerts) {
            const labels: Record<string, string> = {};
            for (const key of ['alertname', 'env', 'team', 'ns', 'dep'] as const) {
              const value = a[key];
              if (value !== undefined) labels[key] = value;
            }
            const alert = { status: a.status, labels, annotations: {} };
            const linear = table.policies
              .filter((p) => p.on === a.status && matchesAll(p.match, labels))
              .map((p) => evaluateLabels(table, p.name, labels, {}, registry));
            expect(evaluateAlert(table, alert, registry)).toEqual(linear);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('looks at the one bucket of a 10,000-policy table plus the unindexed policies', () => {
    const specs: Spec[] = Array.from({ length: 10_000 }, (_, i) => ({
      alertname: `alertname="Alert${i}"`,
      others: [],
      on: 'firing',
    }));
    specs.push({ alertname: null, others: ['env="prod"'], on: 'firing' });
    const table = buildTable(specs);
    expect(table.index.firing.byAlertname.get('Alert42')?.map((c) => c.policy.name)).toEqual(['p42']);
    expect(table.index.firing.unindexed.map((c) => c.policy.name)).toEqual(['p10000']);
    const alert = {
      status: 'firing' as const,
      labels: { alertname: 'Alert42', env: 'prod', ns: 'ml-prod', dep: 'scorer' },
      annotations: {},
    };
    expect(evaluateAlert(table, alert, registry).map((o) => [o.policy, o.outcome])).toEqual([
      ['p42', 'match'],
      ['p10000', 'match'],
    ]);
  });
});
