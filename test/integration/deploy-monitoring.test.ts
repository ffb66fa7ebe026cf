import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createActionRegistry } from '../../src/actions/registry.js';
import { evaluateAlert } from '../../src/policy/evaluate.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { alertmanagerBinary, hasAlertmanager } from '../e2e/support/alertmanager.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { freePort } from '../support/child-salve.js';
import { cleanupStack } from '../support/cleanup.js';
import { repoRoot } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string> };
const rules = (
  YAML.parse(fs.readFileSync(path.join(repoRoot, 'deploy/prometheus/rules.yml'), 'utf8')) as {
    groups: Array<{ rules: Rule[] }>;
  }
).groups.flatMap((g) => g.rules);
const amConfigPath = path.join(repoRoot, 'deploy/alertmanager/alertmanager.yml');
type WebhookConfig = {
  url: string;
  send_resolved: boolean;
  max_alerts: number;
  http_config: { authorization: { type: string; credentials_file?: string; credentials?: string } };
};
const amConfig = YAML.parse(fs.readFileSync(amConfigPath, 'utf8')) as {
  route: { routes: Array<{ receiver: string; matchers: string[]; continue?: boolean }> };
  receivers: Array<{ name: string; webhook_configs?: WebhookConfig[] }>;
};

const hasPromtool = works('promtool', ['--version']);
const hasAmtool = works('amtool', ['--version']);
if (!hasPromtool)
  warnSkip('promtool checks of deploy/prometheus', 'promtool', 'apt-get install -y prometheus');
if (!hasAmtool) warnSkip('amtool check-config', 'amtool', 'apt-get install -y prometheus-alertmanager');

describe('deploy/prometheus/rules.yml', () => {
  it.skipIf(!hasPromtool)('passes promtool check rules', () => {
    const r = runTool('promtool', ['check', 'rules', 'deploy/prometheus/rules.yml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS: 4 rules found');
  });

  it.skipIf(!hasPromtool)('passes its unit tests: each alert fires with the labels the policies read', () => {
    const r = runTool('promtool', ['test', 'rules', 'deploy/prometheus/rules.test.yml']);
    expect(r.code, r.out).toBe(0);
  });

  it('has error rate, p99 latency, prediction drift (PSI > 0.2) and accuracy drop, each keeping namespace, deployment and model', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'ModelServingErrorRate',
      'ModelServingLatencyP99',
      'ModelPredictionDrift',
      'ModelAccuracyDrop',
    ]);
    expect(rules.find((r) => r.alert === 'ModelPredictionDrift')?.expr).toMatch(
      /model_prediction_psi\) > 0\.2/,
    );
    for (const rule of rules) {
      expect(rule.expr, rule.alert).toMatch(/by \(namespace, deployment, model/);
      expect(rule.labels.severity, rule.alert).toMatch(/^(critical|warning|page)$/);
    }
  });

  it('every alert it raises is matched by an example policy in policies/', async () => {
    const registry = createActionRegistry();
    const { table, problems } = await loadPolicyDir(path.join(repoRoot, 'policies'), registry);
    expect(problems).toEqual([]);
    for (const rule of rules) {
      const labels = {
        alertname: rule.alert,
        ...rule.labels,
        namespace: 'ml-prod',
        deployment: 'fraud-scorer',
        model: 'fraud-scorer',
      };
      const outcomes = evaluateAlert(table!, { status: 'firing', labels, annotations: {} }, registry);
      expect(
        outcomes.filter((o) => o.outcome === 'match').length,
        `${rule.alert}: ${JSON.stringify(outcomes)}`,
      ).toBeGreaterThan(0);
    }
  });
});

describe('deploy/alertmanager/alertmanager.yml', () => {
  const cleanup = cleanupStack();
  afterEach(() => cleanup.run());
  const salve = amConfig.receivers.find((r) => r.name === 'salve')?.webhook_configs?.[0];

  it.skipIf(!hasAmtool)('passes amtool check-config', () => {
    const r = runTool('amtool', ['check-config', 'deploy/alertmanager/alertmanager.yml']);
    expect(r.code, r.out).toBe(0);
  });

  it('sends salve every alert of a group, resolved ones too, with a token read from a file', () => {
    expect(salve?.url).toBe('http://salve.salve.svc:9095/v1/alertmanager');
    expect(salve?.send_resolved).toBe(true);
    expect(salve?.max_alerts).toBe(0);
    expect(salve?.http_config.authorization.type).toBe('Bearer');
    expect(salve?.http_config.authorization.credentials).toBeUndefined();
    expect(salve?.http_config.authorization.credentials_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
  });

  it.skipIf(!hasAlertmanager())(
    'routes the ML alerts to salve (and on to people), and nothing else',
    async () => {
      const received: Array<{ auth: string | undefined; alertnames: string[] }> = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          const alerts = (JSON.parse(body) as { alerts: Array<{ labels: { alertname: string } }> }).alerts;
          received.push({
            auth: req.headers.authorization,
            alertnames: alerts.map((a) => a.labels.alertname),
          });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      cleanup.defer(() => new Promise((resolve) => receiver.close(resolve)));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-amcfg-'));
      cleanup.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
      fs.writeFileSync(path.join(dir, 'token'), 'the-token-from-the-secret', { mode: 0o600 });
      // The shipped config, pointed at the test's receiver and token file; everything else as shipped.
      const config = fs
        .readFileSync(amConfigPath, 'utf8')
        .replace(
          'http://salve.salve.svc:9095',
          `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
        )
        .replace(salve!.http_config.authorization.credentials_file!, path.join(dir, 'token'));
      fs.writeFileSync(path.join(dir, 'alertmanager.yml'), config);
      const port = await freePort();
      const am = spawn(
        alertmanagerBinary,
        [
          `--config.file=${path.join(dir, 'alertmanager.yml')}`,
          `--storage.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--cluster.listen-address=',
        ],
        { stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => am.once('exit', resolve));
      cleanup.defer(async () => {
        am.kill('SIGTERM');
        await exited;
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        'Alertmanager to be ready',
        async () => (await fetch(`${url}/-/ready`)).status,
        (s) => s === 200,
      );
      const startsAt = new Date(Date.now() - 3_600_000).toISOString();
      const labels = { namespace: 'ml-prod', deployment: 'fraud-scorer', model: 'fraud-scorer' };
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          ...rules.map((r) => ({ labels: { alertname: r.alert, ...r.labels, ...labels }, startsAt })),
          { labels: { alertname: 'NodeDiskFull', severity: 'critical', instance: 'node-1' }, startsAt },
        ]),
      });
      expect(res.status).toBe(200);
      await waitFor(
        'a notification per ML alert',
        async () => received.length,
        (n) => n >= rules.length,
        { timeoutMs: 20_000 },
      );
      expect(received.every((r) => r.auth === 'Bearer the-token-from-the-secret')).toBe(true);
      expect(received.flatMap((r) => r.alertnames).sort()).toEqual(rules.map((r) => r.alert).sort());
    },
  );
});
