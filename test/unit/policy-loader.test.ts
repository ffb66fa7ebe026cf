import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyDir, loadPolicyText } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { fakeRegistry } from '../fixtures/policies/fake-registry.js';

const FIX = 'test/fixtures/policies';
const registry = fakeRegistry();

function policyText(body: string): string {
  return `apiVersion: salve/v1\npolicies:\n${body}`;
}

describe('loadPolicyDir', () => {
  it('loads every *.yaml and *.yml file in name order, with defaults filled in', async () => {
    const { table, problems, warnings } = await loadPolicyDir(`${FIX}/good`, registry);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(table?.files).toEqual([`${FIX}/good/serving.yaml`, `${FIX}/good/training.yml`]);
    const scorer = table?.byName.get('scorer-errors');
    expect(scorer).toMatchObject({
      source: { file: `${FIX}/good/serving.yaml`, index: 0 },
      on: 'firing',
      match: [
        { label: 'alertname', op: '=', value: 'ModelServingErrorRate' },
        { label: 'severity', op: '=~', value: 'critical|page' },
      ],
      allow: { namespaces: ['ml-prod', 'ml-staging'] },
      steps: [
        { action: 'fake.restart', with: {}, verify: { rolloutMs: 300_000, resolvedMs: 600_000 } },
        { action: 'fake.rollback', with: { toRevision: 2 }, verify: {} },
        { action: 'fake.job', with: { cronJob: 'retrain-{{ labels.model }}' }, verify: {} },
      ],
      guards: {
        cooldownMs: 5_400_000,
        maxPerTarget: { count: 2, windowMs: 3_600_000 },
        approval: false,
        dryRun: false,
      },
      notify: ['slack'],
    });
    const drift = table?.byName.get('drift-retrain');
    expect(drift).toMatchObject({
      on: 'resolved',
      description: '',
      allow: { namespaces: ['ml-prod'] },
      guards: { cooldownMs: 1_800_000, maxPerTarget: null, approval: true, dryRun: true },
      notify: [],
    });
  });

  it('reports every problem of every file at once, each with file, path and line:column', async () => {
    // The syntax error is written at run time: a broken YAML file in the repository would fail the linter.
    const dir = await mkdtemp(join(tmpdir(), 'salve-bad-policies-'));
    await copyFile(`${FIX}/bad/a-structure.yaml`, join(dir, 'a-structure.yaml'));
    await writeFile(
      join(dir, 'b-syntax.yaml'),
      'apiVersion: salve/v1\npolicies:\n  - name: broken\n    match: [alertname="A"\n',
    );
    const { table, problems } = await loadPolicyDir(dir, registry).finally(() =>
      rm(dir, { recursive: true }),
    );
    expect(table).toBeNull();
    const a = join(dir, 'a-structure.yaml');
    expect(problems.map(formatProblem)).toEqual([
      `${a}:8:11 policies[1].name: policy names are a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`,
      `${a}:11:9 policies[1].match[1]: invalid regular expression "(critical" for label severity: missing closing ) (salve matches with RE2 syntax, as Alertmanager does)`,
      `${a}:17:5 policies[1].stpes: unknown key "stpes"`,
      `${a}:19:17 policies[1].steps[0].action: unknown action "fake.rolback"; known actions: fake.job, fake.restart, fake.rollback`,
      `${a}:20:17 policies[1].steps[1].action: fake.rollback does not support target kind CronJob (it supports Deployment, StatefulSet)`,
      `${a}:21:29 policies[1].steps[1].with.toRevision: expected a positive integer`,
      `${a}:23:47 policies[1].steps[2].with.extra: unknown key "extra"`,
      `${a}:24:25 policies[1].guards.cooldown: expected a duration like 30m, 1h30m or 2d (units: y w d h m s ms), got "30x"`,
      `${a}:25:5 policies[2].allow: is required when target.namespace is a template: list the namespaces an alert may point at`,
      `${a}:25:11 policies[2].name: duplicate policy name "ok-one" (first defined at policies[0])`,
      `${a}:27:76 policies[2].target.name: unsupported template "{{ .Labels.name }}": only {{ labels.NAME }} and {{ annotations.NAME }} are allowed`,
      `${join(dir, 'b-syntax.yaml')}:5:1 Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('refuses a policy name defined in two files, pointing at the second', async () => {
    const { table, problems } = await loadPolicyDir(`${FIX}/duplicates`, registry);
    expect(table).toBeNull();
    expect(problems).toEqual([
      {
        file: `${FIX}/duplicates/two.yaml`,
        path: 'policies[1].name',
        line: 7,
        column: 11,
        message: `duplicate policy name "shared-name" (first defined in ${FIX}/duplicates/one.yaml policies[0])`,
      },
    ]);
  });

  it('treats a missing directory as a problem', async () => {
    const { table, problems } = await loadPolicyDir(`${FIX}/no-such-dir`, registry);
    expect(table).toBeNull();
    expect(problems).toEqual([
      { file: `${FIX}/no-such-dir`, path: '', message: `policy directory ${FIX}/no-such-dir does not exist` },
    ]);
  });

  it('loads an empty directory as an empty table, with a warning', async () => {
    const { table, problems, warnings } = await loadPolicyDir(`${FIX}/empty`, registry);
    expect(problems).toEqual([]);
    expect(table?.policies).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      `no policy files (*.yaml, *.yml) found in ${FIX}/empty: alerts will be recorded, none acted on`,
    ]);
  });
});

describe('loadPolicyText', () => {
  const target = '    target: { kind: Deployment, namespace: ml-prod, name: scorer }\n';
  const base = `  - name: p\n    match: [alertname="A"]\n${target}`;

  it('points a missing required key at its parent key', () => {
    const { problems } = loadPolicyText(
      'x.yaml',
      policyText('  - name: p\n    match: [alertname="A"]\n    steps: [{ action: fake.restart }]\n'),
      registry,
    );
    expect(problems.map(formatProblem)).toEqual(['x.yaml:3:5 policies[0].target: is required']);
  });

  it('refuses a literal namespace outside allow', () => {
    const text = policyText(
      `${base}    allow: { namespaces: [ml-staging] }\n    steps: [{ action: fake.restart }]\n`,
    );
    expect(loadPolicyText('x.yaml', text, registry).problems.map(formatProblem)).toEqual([
      'x.yaml:5:44 policies[0].target.namespace: namespace "ml-prod" is not in allow.namespaces (ml-staging)',
    ]);
  });

  it('refuses literal target names that are not DNS-1123 and templates that can never be', () => {
    const text = policyText(
      '  - name: p\n    match: [alertname="A"]\n    target: { kind: Deployment, namespace: ML_Prod, name: "Scorer-{{ labels.x }}" }\n    allow: { namespaces: [ml-prod] }\n    steps: [{ action: fake.restart }]\n',
    );
    const messages = loadPolicyText('x.yaml', text, registry).problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual([
      'policies[0].target.namespace: "ML_Prod" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)',
      'policies[0].target.namespace: namespace "ML_Prod" is not in allow.namespaces (ml-prod)',
      'policies[0].target.name: "Scorer-{{ labels.x }}" can never render to a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
    ]);
  });

  it('checks templated with: values against the action schema using a placeholder', () => {
    const good = policyText(
      `${base}    steps: [{ action: fake.job, with: { cronJob: "retrain-{{ labels.model }}" } }]\n`,
    );
    expect(loadPolicyText('x.yaml', good, registry).problems).toEqual([]);
    const bad = policyText(
      `${base}    steps: [{ action: fake.job, with: { cronJob: "Retrain_{{ labels.model }}" } }]\n`,
    );
    expect(loadPolicyText('x.yaml', bad, registry).problems.map(formatProblem)).toEqual([
      'x.yaml:6:50 policies[0].steps[0].with.cronJob: expected a CronJob name',
    ]);
    const broken = policyText(
      `${base}    steps: [{ action: fake.job, with: { cronJob: "{{ labels.model" } }]\n`,
    );
    expect(loadPolicyText('x.yaml', broken, registry).problems[0]?.message).toContain('unclosed "{{"');
  });

  it('reports wrong types, bad enums, empty lists and bad rates in plain words', () => {
    const text = policyText(
      `  - name: p\n    match: []\n    on: firng\n${target}    steps: []\n    guards: { approval: yes, maxPerTarget: 3, cooldown: 10 }\n    notify: slack\n`,
    );
    const messages = loadPolicyText('x.yaml', text, registry).problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual([
      'policies[0].match: needs at least one matcher: a policy never matches every alert',
      'policies[0].on: expected "firing" or "resolved", got the string "firng"',
      'policies[0].steps: needs at least one step',
      'policies[0].guards.approval: expected true, false or { pageAfter: <duration> }, got the string "yes"',
      'policies[0].guards.maxPerTarget: expected a rate like "3/1h", or "off"',
      'policies[0].guards.cooldown: expected a duration like 30m (a string with a unit)',
      'policies[0].notify: expected a list, got the string "slack"',
    ]);
  });

  it('takes approval: true or its settings, { pageAfter }, which must name someone to page', () => {
    const steps = '    steps: [{ action: fake.restart }]\n';
    const load = (guards: string, notify = '    notify: [pagerduty]\n') =>
      loadPolicyText('x.yaml', policyText(`${base}${steps}    guards: ${guards}\n${notify}`), registry);
    const guardsOf = (guards: string) => load(guards).table?.policies[0]?.guards;
    expect(guardsOf('{ approval: true }')).toMatchObject({ approval: true, pageAfterMs: null });
    expect(guardsOf('{ approval: { pageAfter: 20m } }')).toMatchObject({
      approval: true,
      pageAfterMs: 1_200_000,
    });
    expect(guardsOf('{ cooldown: 5m }')).toMatchObject({ approval: false, pageAfterMs: null });
    expect(load('{ approval: { pageAfter: 0s } }').problems.map(formatProblem)).toEqual([
      'x.yaml:7:38 policies[0].guards.approval.pageAfter: must be longer than 0',
    ]);
    expect(load('{ approval: { pageAfter: 5m, expireAfter: 1h } }').problems.map(formatProblem)).toEqual([
      'x.yaml:7:42 policies[0].guards.approval.expireAfter: unknown key "expireAfter"',
    ]);
    expect(load('{ approval: { pageAfter: 5m } }', '').problems.map(formatProblem)).toEqual([
      "x.yaml:7:38 policies[0].guards.approval.pageAfter: pages the policy's notifiers, but the policy names none: add notify: [pagerduty] (or another notifier)",
    ]);
  });

  it('refuses a wrong apiVersion and unknown top-level keys', () => {
    const text = 'apiVersion: salve/v2\npolicy: []\npolicies: []\n';
    expect(loadPolicyText('x.yaml', text, registry).problems.map(formatProblem)).toEqual([
      'x.yaml:1:13 apiVersion: expected "salve/v1", got the string "salve/v2"',
      'x.yaml:2:1 policy: unknown key "policy"',
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their position', () => {
    const dup = loadPolicyText(
      'x.yaml',
      'apiVersion: salve/v1\napiVersion: salve/v1\npolicies: []\n',
      registry,
    );
    expect(dup.problems).toEqual([expect.objectContaining({ file: 'x.yaml', line: 2, column: 1 })]);
    expect(dup.problems[0]?.message).toContain('unique');
    const tabs = loadPolicyText('x.yaml', 'apiVersion: salve/v1\npolicies:\n\t- name: x\n', registry);
    expect(tabs.problems[0]).toMatchObject({ file: 'x.yaml', line: 3 });
  });

  it('refuses an empty document and warns about a file without policies', () => {
    expect(loadPolicyText('x.yaml', '# nothing\n', registry).problems[0]?.message).toContain('file is empty');
    const none = loadPolicyText('x.yaml', 'apiVersion: salve/v1\npolicies: []\n', registry);
    expect(none.problems).toEqual([]);
    expect(none.table?.policies).toEqual([]);
    expect(none.warnings.map(formatProblem)).toEqual(['x.yaml:2:11 policies: the file defines no policies']);
  });

  it('caps alias expansion so a YAML bomb is a problem, not an outage', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${'abcdefghijkl'[i]}: &${'abcdefghijkl'[i]} [${Array(10)
          .fill(`*${'abcdefghijkl'[i - 1]}`)
          .join(',')}]`,
      );
    const result = loadPolicyText('bomb.yaml', `${lines.join('\n')}\n`, registry);
    expect(result.table).toBeNull();
    expect(result.problems[0]?.message).toMatch(/alias/i);
  });
});

describe('formatProblem', () => {
  it('prints file:line:column path: message, and degrades without a position or path', () => {
    expect(
      formatProblem({
        file: 'policies/serving.yaml',
        path: 'policies[1].target.name',
        message: 'bad',
        line: 12,
        column: 9,
      }),
    ).toBe('policies/serving.yaml:12:9 policies[1].target.name: bad');
    expect(formatProblem({ file: 'policies', path: '', message: 'missing' })).toBe('policies missing');
  });
});
