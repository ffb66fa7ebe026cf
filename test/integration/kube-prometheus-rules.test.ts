/**
 * test/fixtures/kube-prometheus holds, as data, what salve's kube-prometheus policy pack answers: the stock rules
 * (rules.yaml, verbatim upstream; rules.json), the alerts they fire for the kube-prometheus scenario (promtool
 * tests per install flavour) and the webhook payloads a real Alertmanager sent for them. This test keeps the four
 * and the simulator scenario in agreement, both ways: every alert names an object of the scenario in the state the
 * rule describes, and every object of the scenario in such a state has its alert.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { webhookPayloadSchema } from '../../src/alerts/schema.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import {
  kubePrometheusFixturesDir as dir,
  type KubePrometheusFlavour,
  kubePrometheusFixtures,
} from '../support/fixtures.js';
import { alertSubject, firingSubjects } from '../support/kube-prometheus-alerts.js';
import {
  KUBE_PROMETHEUS_SEED,
  type KubeObject,
  type KubeSim,
  scenarioKubePrometheus,
  startKubeSim,
} from '../support/kube-sim/index.js';

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string> };
type RuleData = {
  alert: string;
  expr: string;
  for: string;
  severity: string;
  about: { kind: string; name: string };
  labels: Record<KubePrometheusFlavour, string[]>;
};
type Expected = { exp_labels: Record<string, string> };

const rules = (
  YAML.parse(fs.readFileSync(path.join(dir, 'rules.yaml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((g) => g.rules);
const data = JSON.parse(fs.readFileSync(path.join(dir, 'rules.json'), 'utf8')) as { alerts: RuleData[] };
const flavours: Array<[KubePrometheusFlavour, string]> = [
  ['kube-prometheus', 'rules.test.yaml'],
  ['kube-prometheus-stack', 'rules-stack.test.yaml'],
];

function promtoolAlerts(file: string): Array<Record<string, string>> {
  const t = YAML.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as {
    tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: Expected[] }> }>;
  };
  return (t.tests[0]?.alert_rule_test ?? []).flatMap((r) =>
    r.exp_alerts.map((a) => ({ alertname: r.alertname, ...a.exp_labels })),
  );
}

const hasPromtool = works('promtool', ['--version']);
if (!hasPromtool)
  warnSkip('promtool tests of the kube-prometheus rules', 'promtool', 'apt-get install -y prometheus');

describe('kube-prometheus rules as data', () => {
  it.skipIf(!hasPromtool)(
    'the stock rules fire exactly the expected alerts for both install flavours (promtool)',
    () => {
      const r = runTool('promtool', ['test', 'rules', ...flavours.map(([, file]) => path.join(dir, file))]);
      expect(r.code, r.out).toBe(0);
    },
  );

  it('rules.json records each rule expression, for and severity as rules.yaml has them, and the label names promtool saw', () => {
    expect(data.alerts.map((a) => a.alert)).toEqual(rules.map((r) => r.alert));
    for (const rule of rules) {
      const d = data.alerts.find((a) => a.alert === rule.alert) as RuleData;
      expect({ expr: d.expr, for: d.for, severity: d.severity }).toEqual({
        expr: rule.expr,
        for: rule.for,
        severity: rule.labels.severity,
      });
      for (const [flavour, file] of flavours) {
        const seen = new Set(['prometheus']);
        for (const a of promtoolAlerts(file).filter((x) => x.alertname === rule.alert))
          for (const k of Object.keys(a)) seen.add(k);
        expect(d.labels[flavour], `${rule.alert} ${flavour}`).toEqual([...seen].sort());
      }
    }
  });

  it('rules.md shows every rule of rules.json with its for and severity', () => {
    const md = fs.readFileSync(path.join(dir, 'rules.md'), 'utf8');
    for (const a of data.alerts) expect(md).toContain(`| \`${a.alert}\` | ${a.for} | ${a.severity} |`);
  });

  it.each(flavours)(
    'the %s payloads are Alertmanager 0.25 notifications of exactly the alerts promtool expects',
    (flavour, file) => {
      const fixtures = kubePrometheusFixtures(flavour);
      const sent: string[] = [];
      for (const f of fixtures) {
        expect(f.headers['user-agent']).toBe('Alertmanager/0.25.0');
        expect(Number(f.headers['content-length'])).toBe(Buffer.byteLength(f.body));
        const parsed = webhookPayloadSchema.parse(f.payload);
        expect(parsed.version).toBe('4');
        expect(
          `${f.payload.groupLabels && (f.payload.groupLabels as Record<string, string>).alertname}.${(f.payload.groupLabels as Record<string, string>).namespace}`,
        ).toBe(f.name);
        for (const a of f.payload.alerts) {
          const { prometheus, ...rest } = a.labels;
          expect(prometheus).toBe(
            flavour === 'kube-prometheus' ? 'monitoring/k8s' : 'monitoring/kube-prometheus-stack-prometheus',
          );
          sent.push(JSON.stringify(Object.entries(rest).sort()));
        }
      }
      const expected = promtoolAlerts(file).map((a) => JSON.stringify(Object.entries(a).sort()));
      expect(sent.sort()).toEqual(expected.sort());
    },
  );
});

describe('the kube-prometheus scenario of the simulator', () => {
  let sim: KubeSim;
  beforeAll(async () => {
    sim = await startKubeSim({ tickMs: 0, randomSeed: KUBE_PROMETHEUS_SEED });
    scenarioKubePrometheus(sim);
  });
  afterAll(async () => {
    await sim.close();
  });

  it.each(flavours)('is in exactly the state the %s alerts describe, object by object', (flavour) => {
    const fromFixtures = kubePrometheusFixtures(flavour)
      .flatMap((f) => f.payload.alerts.map((a) => alertSubject(a.labels)))
      .sort();
    expect(firingSubjects(sim)).toEqual(fromFixtures);
  });

  it('owns its objects as the real controllers do, so alerts resolve to what a policy acts on', () => {
    const pod = sim.objects.get('v1', 'Pod', 'shop', 'checkout-6659b96fbc-87jpc') as KubeObject;
    const rs = sim.objects.get(
      'apps/v1',
      'ReplicaSet',
      'shop',
      pod.metadata.ownerReferences?.[0]?.name ?? '',
    ) as KubeObject;
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'checkout',
      controller: true,
    });
    const job = sim.objects.get('batch/v1', 'Job', 'ml', 'retrain-fraud-model-29538900') as KubeObject;
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      name: 'retrain-fraud-model',
      controller: true,
    });
    const hpa = sim.objects.get(
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      'shop',
      'frontend',
    ) as KubeObject;
    expect((hpa.spec as { scaleTargetRef?: unknown }).scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'frontend',
    });
    expect(sim.objects.get('v1', 'Pod', 'data', 'orders-db-2')?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'orders-db',
    });
    // checkout's previous release is the last known good one a rollback returns to.
    const history = sim.objects
      .list('apps/v1', 'ReplicaSet', 'shop')
      .filter((r) => r.metadata.ownerReferences?.[0]?.name === 'checkout')
      .map((r) => [
        r.metadata.annotations?.['deployment.kubernetes.io/revision'],
        r.metadata.annotations?.['kubernetes.io/change-cause'],
      ])
      .sort();
    expect(history).toEqual([
      ['1', 'release 2.3.1'],
      ['2', 'release 2.4.0'],
    ]);
  });
});
