import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createActionRegistry } from '../../src/actions/registry.js';
import { evaluateAlert } from '../../src/policy/evaluate.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { repoRoot } from '../support/fixtures.js';

type Rule = {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};
const rulesFile = 'deploy/prometheus/salve-rules.yml';
const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');
const rules = (YAML.parse(read(rulesFile)) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap(
  (g) => g.rules,
);
const unitTests = (
  YAML.parse(read('deploy/prometheus/salve-rules.test.yml')) as {
    tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
  }
).tests.flatMap((t) => t.alert_rule_test);
const runbook = read('docs/runbook.md');
const runbookBase = 'https://runbooks.example/salve/runbook.md';
/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
const sections = [...runbook.matchAll(/^## (.+)$/gm)].map((m) => m[1]!);

const hasPromtool = works('promtool', ['--version']);
const hasAmtool = works('amtool', ['--version']);
if (!hasPromtool) warnSkip('promtool checks of salve-rules.yml', 'promtool', 'apt-get install -y prometheus');
if (!hasAmtool)
  warnSkip('amtool routing of salve-rules.yml', 'amtool', 'apt-get install -y prometheus-alertmanager');

describe('deploy/prometheus/salve-rules.yml: alerts on salve itself', () => {
  it.skipIf(!hasPromtool)('passes promtool check rules', () => {
    const r = runTool('promtool', ['check', 'rules', rulesFile]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it.skipIf(!hasPromtool)('passes its promtool unit tests', () => {
    const r = runTool('promtool', ['test', 'rules', 'deploy/prometheus/salve-rules.test.yml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('covers what can go wrong with salve, each alert with a severity, a summary and a description', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'SalveDown',
      'SalveWebhookUnauthorized',
      'SalveWebhookFailing',
      'SalveWebhookRejecting',
      'SalveHealsEscalating',
      'SalveLoopBreakerTripped',
      'SalveActionCeilingReached',
      'SalvePausedTooLong',
      'SalvePolicyReloadFailing',
      'SalveNotificationsDeadLettered',
      'SalveNotificationBacklog',
      'SalveStoreUnavailable',
      'SalveStoreErrors',
      'SalveAuditChainBroken',
      'SalveAuditCheckpointWentBack',
      'SalveAuditCheckpointSinkFailing',
    ]);
    for (const rule of rules) {
      expect(rule.labels.severity, rule.alert).toMatch(/^(critical|warning)$/);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      expect(rule.annotations.description, rule.alert).toBeTruthy();
    }
  });

  it("each alert's runbook_url is its own section of docs/runbook.md, and each section has its alert", () => {
    for (const rule of rules) {
      expect(rule.annotations.runbook_url, rule.alert).toBe(`${runbookBase}#${anchorOf(rule.alert)}`);
      const section = runbook.split(/^## /m).find((s) => s.startsWith(`${rule.alert}\n`));
      expect(section, `docs/runbook.md has no section ## ${rule.alert}`).toBeDefined();
      for (const part of ['**What it means.**', '**What to check.**', '**What to do.**']) {
        expect(section, `${rule.alert}: ${part}`).toContain(part);
      }
    }
    expect(sections.sort()).toEqual(rules.map((r) => r.alert).sort());
  });

  it('each alert has unit tests that see it fire and see it stay quiet', () => {
    for (const rule of rules) {
      const cases = unitTests.filter((t) => t.alertname === rule.alert);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        `${rule.alert} never expected to fire`,
      ).toBe(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0),
        `${rule.alert} never expected quiet`,
      ).toBe(true);
    }
  });

  it('no example policy acts on them: salve never tries to heal itself', async () => {
    const registry = createActionRegistry();
    const { table, problems } = await loadPolicyDir(path.join(repoRoot, 'policies'), registry);
    expect(problems).toEqual([]);
    for (const rule of rules) {
      // The labels the alert carries, and the ones a kube-prometheus scrape adds, in case a policy keys on them.
      const labels = {
        alertname: rule.alert,
        ...rule.labels,
        job: 'salve',
        namespace: 'salve',
        instance: '10.0.0.1:9095',
        pod: 'salve-0',
      };
      const outcomes = evaluateAlert(table!, { status: 'firing', labels, annotations: {} }, registry);
      expect(outcomes, rule.alert).toEqual([]);
    }
  });

  it.skipIf(!hasAmtool)("Alertmanager's shipped route sends them to people, never to salve", () => {
    for (const rule of rules) {
      const labels = Object.entries({ alertname: rule.alert, ...rule.labels, job: 'salve' }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const r = runTool('amtool', [
        'config',
        'routes',
        'test',
        '--config.file=deploy/alertmanager/alertmanager.yml',
        ...labels,
      ]);
      expect(r.code, r.out).toBe(0);
      const receivers = r.out
        .split('\n')
        .filter((l) => l && !l.startsWith('Warning'))
        .join(',')
        .split(',');
      expect(receivers, rule.alert).toEqual(['oncall']);
    }
  });
});
