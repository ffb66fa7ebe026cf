import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { loadPolicyText } from '../../src/policy/loader.js';
import { matches, parseMatcher } from '../../src/policy/matchers.js';
import type { LabelMatcher } from '../../src/policy/types.js';
import { prepareSalveDir, servingPolicy, testTokens } from '../support/build-test-app.js';
import { type ChildSalve, startChildSalve } from '../support/child-salve.js';
import { payload } from '../support/fixtures.js';

// Class 7: a regex in a policy meets an alert label chosen by whoever can make an alert fire. Patterns that
// make a backtracking engine explode must cost time linear in the label, and what RE2 cannot express is
// refused when the policy loads.

const registry = createActionRegistry();

/** Patterns that are catastrophic for a backtracking engine, with a label value that triggers it. */
const evil: ReadonlyArray<{ pattern: string; input: string; expected: boolean }> = [
  { pattern: '(a+)+b', input: `${'a'.repeat(50_000)}c`, expected: false },
  { pattern: '(a|a)+b', input: `${'a'.repeat(50_000)}c`, expected: false },
  { pattern: '(a|aa)+b', input: `${'a'.repeat(50_000)}c`, expected: false },
  { pattern: '([a-z]+)*[0-9]', input: `${'x'.repeat(50_000)}!`, expected: false },
  { pattern: '(.*a){12}', input: 'a'.repeat(50_000), expected: true },
  { pattern: '(\\w+\\s?)+$x', input: `${'word '.repeat(10_000)}!`, expected: false },
];

function matcher(text: string): LabelMatcher {
  const result = parseMatcher(text);
  if (!result.ok) throw new Error(result.error);
  return result.matcher;
}

function policyWith(match: string): string {
  return `apiVersion: salve/v1
policies:
  - name: redos
    match:
      - alertname="Evil"
      - ${match}
    target: { kind: Deployment, namespace: ml-prod, name: scorer }
    steps:
      - action: k8s.restart
`;
}

describe('regex matchers run in linear time (RE2)', () => {
  it.each(evil)('$pattern against a long hostile label answers at once', ({ pattern, input, expected }) => {
    const m = matcher(`instance=~${JSON.stringify(pattern)}`);
    // A backtracking RegExp would never return on these inputs: refuse to even try one.
    expect(m.regex).not.toBeInstanceOf(RegExp);
    expect(matches(m, { instance: input })).toBe(expected);
    expect(matches(matcher(`instance!~${JSON.stringify(pattern)}`), { instance: input })).toBe(!expected);
  });

  it('reads Go (RE2) syntax the way Alertmanager does', () => {
    expect(matches(matcher('severity=~"(?i)critical"'), { severity: 'CRITICAL' })).toBe(true);
    expect(matches(matcher('team=~"(?P<t>ml)-.*"'), { team: 'ml-platform' })).toBe(true);
    expect(matches(matcher('name=~"\\\\pL+"'), { name: 'scoré' })).toBe(true);
    expect(matches(matcher('name=~"[[:alpha:]]+"'), { name: 'scorer' })).toBe(true);
    // Anchored as Alertmanager anchors: the text goes between ^(?: and )$, nothing more.
    expect(matches(matcher('x=~"a)|(b"'), { x: 'ab-c' })).toBe(true);
    expect(matches(matcher('x=~"crit"'), { x: 'critical' })).toBe(false);
    expect(matches(matcher('x=~"critical|page"'), { x: 'xpage' })).toBe(false);
  });

  it.each([
    ['backreference', 'instance=~"(a)\\\\1"', 'invalid escape sequence'],
    ['lookahead', 'instance=~"(?=a)a"', 'unsupported Perl syntax'],
    ['lookbehind', 'instance=~"(?<!a)b"', 'invalid named capture'],
    ['repeat count over 1000', 'instance=~"(a|b){1,5000}"', 'invalid repeat count'],
    ['possessive quantifier', 'instance=~"a++"', 'invalid nested repetition operator'],
  ])('refuses a %s when the policy loads, naming file:line', (_what, match, reason) => {
    const { table, problems } = loadPolicyText('policies/redos.yaml', policyWith(match), registry);
    expect(table).toBeNull();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'policies/redos.yaml', line: 6, path: 'policies[0].match[1]' });
    expect(problems[0]?.message).toContain(reason);
    expect(problems[0]?.message).toContain('RE2');
  });
});

describe('a running salve facing hostile labels', () => {
  let salve: ChildSalve;
  const evilPolicies = evil.map(
    (e, i) => `  - name: evil-${i}
    match: [ 'alertname="Evil"', ${JSON.stringify(`instance=~${JSON.stringify(e.pattern)}`)} ]
    target: { kind: Deployment, namespace: ml-prod, name: scorer }
    steps: [ { action: k8s.restart } ]`,
  );

  beforeAll(async () => {
    const { env } = prepareSalveDir({
      'serving.yaml': servingPolicy,
      'evil.yaml': `apiVersion: salve/v1\npolicies:\n${evilPolicies.join('\n')}\n`,
    });
    salve = await startChildSalve(env);
  }, 90_000);
  afterAll(async () => {
    await salve?.kill9();
  });

  /** A request that must answer well within Alertmanager's own patience; a hung server fails it. */
  async function post(path: string, token: string, body: unknown): Promise<Response> {
    return fetch(`${salve.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  }

  it('POST /v1/policies/test (viewer) and the webhook answer, and /healthz stays live', async () => {
    const hostile = payload(
      evil.map((e, i) => ({ labels: { alertname: 'Evil', instance: e.input, n: String(i) } })),
    );
    const explained = await post('/v1/policies/test', testTokens.viewer, hostile);
    expect(explained.status).toBe(200);
    const body = (await explained.json()) as { alerts: Array<{ matched: number }> };
    // Only `(.*a){12}` matches its all-`a` label; every other alert matches no policy.
    expect(body.alerts.map((a) => a.matched)).toEqual(evil.map((e) => (e.expected ? 1 : 0)));
    const health = await fetch(`${salve.url}/healthz`, { signal: AbortSignal.timeout(20_000) });
    expect(health.status).toBe(200);
    const delivered = await post('/v1/alertmanager', testTokens.alertmanager, hostile);
    expect(delivered.status).toBe(202);
  }, 90_000);
});
