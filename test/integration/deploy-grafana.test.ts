import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { salveDashboard } from '../../deploy/grafana/dashboard.js';
import {
  dashboardFile,
  prometheusRuleFile,
  prometheusRuleHeader,
  prometheusRuleText,
  rulesFile,
} from '../../deploy/monitoring.js';
import { runTool, warnSkip, works } from '../e2e/support/tools.js';
import { repoRoot } from '../support/fixtures.js';

type Panel = {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ refId: string; expr: string; datasource: { type: string; uid: string } }>;
};
const text = fs.readFileSync(dashboardFile, 'utf8');
const dashboard = JSON.parse(text) as Omit<ReturnType<typeof salveDashboard>, 'panels'> & { panels: Panel[] };
const panels = dashboard.panels;
type K8sObject = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { groups?: unknown };
};
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, which Grafana resolves
const dsVariable = '${datasource}';
const ds = { type: 'prometheus', uid: dsVariable };

describe('deploy/grafana/salve.json', () => {
  it('is what deploy/grafana/dashboard.ts generates (npm run monitoring), and so is the PrometheusRule', () => {
    expect(dashboard).toEqual(JSON.parse(JSON.stringify(salveDashboard())));
    const shipped = fs.readFileSync(prometheusRuleFile, 'utf8');
    expect(shipped.startsWith(prometheusRuleHeader)).toBe(true);
    expect(YAML.parse(shipped)).toEqual(YAML.parse(prometheusRuleText(fs.readFileSync(rulesFile, 'utf8'))));
  });

  it('imports anywhere: a uid, a current schemaVersion, a datasource variable and no datasource uid of its own', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.id).toBeNull();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    // __inputs only work through the import dialog; the sidecar would leave ${DS_...} unresolved.
    expect(dashboard).not.toHaveProperty('__inputs');
    expect(dashboard.templating.list[0]).toMatchObject({
      name: 'datasource',
      type: 'datasource',
      query: 'prometheus',
    });
    const uids = [...text.matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).toEqual(new Set([dsVariable, '-- Grafana --', dashboard.uid]));
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource, p.title).toEqual(ds);
      for (const t of p.targets ?? []) expect(t.datasource, `${p.title} ${t.refId}`).toEqual(ds);
    }
  });

  it('lays panels out on the 24-column grid without overlaps, each with an id, a title and a description', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
      if (p.type === 'row') continue;
      expect(p.description, p.title).toBeTruthy();
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(refIds.length, p.title).toBeGreaterThan(0);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });

  it('shows intake, heals, guards, actions, notifications, policies, approvals, pause, the store and the audit log', () => {
    const exprs = (title: string) =>
      panels
        .filter((p) => p.title === title)
        .flatMap((p) => p.targets ?? [])
        .map((t) => t.expr)
        .join('\n');
    const expected: Record<string, RegExp> = {
      'Webhook deliveries by outcome': /salve_webhook_requests_total/,
      'Alerts received and deduplicated': /salve_alerts_deduplicated_total/,
      'Open heals by state': /salve_open_heals/,
      'Heals finished by outcome': /salve_heals_total/,
      'Time to resolve (over the last hour)': /salve_time_to_resolve_seconds_bucket/,
      'Guard refusals by guard and reason': /salve_guard_refusals_total/,
      'Loop-breaker trips': /reason="loop_breaker"/,
      'Step outcomes by action': /salve_action_duration_seconds_count/,
      'Action durations (p50, p99)': /salve_action_duration_seconds_bucket/,
      'Backlog and dead letters': /salve_notifications_pending[\s\S]*outcome="dead"/,
      'Policy reloads': /salve_policy_reloads_total/,
      'Approvals waiting': /state="awaiting_approval"/,
      Paused: /salve_paused/,
      'Store up and failing calls': /salve_store_up[\s\S]*salve_store_failures_total/,
      'Audit chain': /salve_audit_broken_records/,
      'Audit checkpoints and sink refusals':
        /salve_audit_checkpoint_seq[\s\S]*salve_audit_checkpoint_sink_failures_total/,
    };
    for (const [title, pattern] of Object.entries(expected)) expect(exprs(title), title).toMatch(pattern);
  });
});

const hasKubectl = works('kubectl', ['version', '--client']);
if (!hasKubectl)
  warnSkip(
    'kubectl kustomize of the monitoring component',
    'kubectl',
    'https://kubernetes.io/docs/tasks/tools/',
  );

describe.skipIf(!hasKubectl)('deploy/kubernetes/components/monitoring', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  /** Renders `base` with the component, from an overlay of a user's own (kustomize wants relative paths). */
  function renderWith(base: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-overlay-'));
    dirs.push(dir);
    const rel = (p: string) => path.relative(dir, path.join(repoRoot, p));
    fs.writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      YAML.stringify({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [rel(base)],
        components: [rel('deploy/kubernetes/components/monitoring')],
      }),
    );
    const r = runTool('kubectl', ['kustomize', dir]);
    expect(r.code, r.out).toBe(0);
    return YAML.parseAllDocuments(r.out).map((d) => d.toJS() as K8sObject);
  }

  for (const base of ['deploy/kubernetes/base', 'deploy/kubernetes/overlays/postgres']) {
    it(`adds to ${base} the dashboard ConfigMap for the Grafana sidecar and the PrometheusRule`, () => {
      const objects = renderWith(base);
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'salve-grafana-dashboard');
      expect(cm?.metadata).toMatchObject({ namespace: 'salve', labels: { grafana_dashboard: '1' } });
      expect(JSON.parse(cm?.data?.['salve.json'] ?? '{}')).toEqual(dashboard);
      const rule = objects.find((o) => o.kind === 'PrometheusRule');
      expect(rule?.metadata).toMatchObject({ name: 'salve', namespace: 'salve' });
      const rules = YAML.parse(fs.readFileSync(rulesFile, 'utf8'));
      expect(rule?.spec?.groups).toEqual(rules.groups);
      // Everything the base had is still there, unchanged.
      expect(objects.find((o) => o.kind === 'Deployment')?.metadata.name).toBe('salve');
    });
  }

  it('the base alone stays without them: the component is optional', () => {
    const r = runTool('kubectl', ['kustomize', 'deploy/kubernetes/base']);
    expect(r.out).not.toContain('grafana_dashboard');
    expect(r.out).not.toContain('PrometheusRule');
  });
});
