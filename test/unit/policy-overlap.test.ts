import { describe, expect, it } from 'vitest';
import { loadPolicyText } from '../../src/policy/loader.js';
import { parseMatcher } from '../../src/policy/matchers.js';
import { findOverlaps, provablyDisjoint } from '../../src/policy/overlap.js';
import { createPolicyTable, type PolicyTable } from '../../src/policy/table.js';
import type { LabelMatcher, Policy } from '../../src/policy/types.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';

const registry = fakeRegistry();

type Spec = { name: string; match: string[]; target?: string; allow?: string; on?: string };

function policies(file: string, specs: Spec[]): Policy[] {
  const body = specs
    .map(
      (s) =>
        `  - name: ${s.name}\n    match: ${JSON.stringify(s.match)}\n    on: ${s.on ?? 'firing'}\n` +
        `    target: ${s.target ?? '{ kind: Deployment, namespace: "{{ labels.namespace }}", name: "{{ labels.deployment }}" }'}\n` +
        `    allow: { namespaces: ${s.allow ?? '[ml-prod, ml-staging]'} }\n    steps: [{ action: fake.restart }]\n`,
    )
    .join('');
  const result = loadPolicyText(file, `apiVersion: salve/v1\npolicies:\n${body}`, registry);
  if (result.table === null) throw new Error(JSON.stringify(result.problems));
  return [...result.table.policies];
}

function tableOf(a: Spec, b: Spec): PolicyTable {
  const all = [...policies('policies/a.yaml', [a]), ...policies('policies/b.yaml', [b])];
  return createPolicyTable(all, {
    files: ['policies/a.yaml', 'policies/b.yaml'],
    loadedAt: '2024-01-01T00:00:00.000Z',
  });
}

function ms(...texts: string[]): LabelMatcher[] {
  return texts.map((t) => {
    const r = parseMatcher(t);
    if (!r.ok) throw new Error(r.error);
    return r.matcher;
  });
}

describe('findOverlaps', () => {
  it('warns about two policies that one alert can send against one target, naming both and their files', () => {
    const table = tableOf(
      { name: 'restart-on-errors', match: ['alertname="ModelServingErrorRate"'] },
      { name: 'rollback-on-page', match: ['alertname=~"Model.*"', 'severity="page"'] },
    );
    expect(findOverlaps(table)).toEqual([
      {
        policies: ['restart-on-errors', 'rollback-on-page'],
        files: ['policies/a.yaml', 'policies/b.yaml'],
        message:
          'policies restart-on-errors (policies/a.yaml) and rollback-on-page (policies/b.yaml) can act on the same ' +
          'Deployment ({{ labels.namespace }}/{{ labels.deployment }}) for the same alert',
      },
    ]);
  });

  it.each([
    ['different alertnames', { match: ['alertname="A"'] }, { match: ['alertname="B"'] }],
    ['= against != on one label', { match: ['severity="page"'] }, { match: ['severity!="page"'] }],
    [
      'an alternation that excludes the value',
      { match: ['severity=~"critical|page"'] },
      { match: ['severity="warning"'] },
    ],
    [
      'a negated regex that excludes the value',
      { match: ['severity!~"critical|page"'] },
      { match: ['severity="page"'] },
    ],
    [
      'namespaces that cannot meet',
      { match: ['alertname="A"'], allow: '[ml-prod]' },
      { match: ['alertname="A"'], allow: '[ml-staging]' },
    ],
    [
      'different literal names',
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: scorer }',
        allow: '[ml-prod]',
      },
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: ranker }',
        allow: '[ml-prod]',
      },
    ],
    [
      'a literal name the template cannot render',
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: scorer }',
        allow: '[ml-prod]',
      },
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: "ranker-{{ labels.m }}" }',
        allow: '[ml-prod]',
      },
    ],
    [
      'templates with clashing prefixes',
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: "scorer-{{ labels.m }}" }',
        allow: '[ml-prod]',
      },
      {
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: "ranker-{{ labels.m }}" }',
        allow: '[ml-prod]',
      },
    ],
    [
      'different target kinds',
      { match: ['alertname="A"'] },
      {
        match: ['alertname="A"'],
        target: '{ kind: StatefulSet, namespace: "{{ labels.namespace }}", name: x }',
      },
    ],
    ['firing against resolved', { match: ['alertname="A"'] }, { match: ['alertname="A"'], on: 'resolved' }],
  ])('stays quiet for %s', (_why, a, b) => {
    expect(findOverlaps(tableOf({ name: 'a', ...a }, { name: 'b', ...b }))).toEqual([]);
  });

  it('warns when a literal name fits the other policy template', () => {
    const table = tableOf(
      {
        name: 'a',
        match: ['alertname="A"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: scorer-fraud }',
        allow: '[ml-prod]',
      },
      {
        name: 'b',
        match: ['env="prod"'],
        target: '{ kind: Deployment, namespace: ml-prod, name: "scorer-{{ labels.m }}" }',
        allow: '[ml-prod]',
      },
    );
    expect(findOverlaps(table).map((w) => w.policies)).toEqual([['a', 'b']]);
  });
});

describe('provablyDisjoint', () => {
  it('uses absent-label semantics: label="" means the label is absent', () => {
    expect(provablyDisjoint(ms('team=""'), ms('team="ml"'))).toBe(true);
    expect(provablyDisjoint(ms('team=""'), ms('team!="ml"'))).toBe(false);
  });

  it('cannot prove two open regexes disjoint, and says they may overlap', () => {
    expect(provablyDisjoint(ms('alertname=~"A.*"'), ms('alertname=~"B.*"'))).toBe(false);
  });

  it('intersects alternations', () => {
    expect(provablyDisjoint(ms('severity=~"a|b"'), ms('severity=~"c|d"'))).toBe(true);
    expect(provablyDisjoint(ms('severity=~"a|b"'), ms('severity=~"b|c"'))).toBe(false);
  });
});
