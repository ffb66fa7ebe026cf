import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { repoRoot } from './fixtures.js';

/** A PromQL expression shipped in deploy/, with where it is. */
export type ShippedQuery = { where: string; expr: string };

type GrafanaPanel = {
  title?: string;
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: GrafanaPanel[];
};
export type GrafanaDashboard = {
  panels: GrafanaPanel[];
  annotations?: { list: Array<{ name: string; expr?: string }> };
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
};

export const readDashboard = (): GrafanaDashboard =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'deploy/grafana/salve.json'), 'utf8')) as GrafanaDashboard;

/** Every alerting and recording rule expression of a Prometheus rules file. */
export function ruleQueries(file: string): ShippedQuery[] {
  const doc = YAML.parse(fs.readFileSync(path.join(repoRoot, file), 'utf8')) as {
    groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  return doc.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `${file}: ${g.name}/${r.alert ?? r.record}`, expr: r.expr })),
  );
}

/** Grafana's own interval variables, and a stand-in for each: what Grafana puts there is a duration. */
const builtIns: Record<string, string> = { __rate_interval: '5m', __interval: '1m', __range: '6h' };

/**
 * The dashboard's queries as Prometheus receives them: every panel target (rows included), annotation and
 * `label_values` variable, with Grafana's variables replaced as Grafana does: intervals by durations, the
 * dashboard's own variables (`$job`, `${instance}`) by a regex matching anything. A variable the dashboard
 * does not define is a problem, not a pass.
 */
export function dashboardQueries(d: GrafanaDashboard): { queries: ShippedQuery[]; problems: string[] } {
  const variables = new Set(d.templating.list.map((v) => v.name));
  const problems: string[] = [];
  const expand = (where: string, expr: string) =>
    expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_m, braced?: string, bare?: string) => {
      const name = (braced ?? bare)!;
      if (name in builtIns) return builtIns[name]!;
      if (!variables.has(name)) problems.push(`${where}: $${name} is not a variable of the dashboard`);
      return '.*';
    });
  const queries: ShippedQuery[] = [];
  const walk = (panels: GrafanaPanel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        const where = `panel "${p.title}" ${t.refId}`;
        if (!t.expr) problems.push(`${where}: a target without expr`);
        else queries.push({ where, expr: expand(where, t.expr) });
      }
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const a of d.annotations?.list ?? []) {
    if (a.expr) queries.push({ where: `annotation "${a.name}"`, expr: expand(a.name, a.expr) });
  }
  for (const v of d.templating.list.filter((x) => x.type === 'query')) {
    const where = `variable $${v.name}`;
    const m = /^label_values\((?:(.+),\s*)?(\w+)\)$/.exec(v.definition ?? '');
    if (!m) {
      problems.push(`${where}: only label_values(selector, label) is checked, not ${v.definition}`);
      continue;
    }
    // label_values(selector, label) asks for the label's values on the selector's series.
    const selector = m[1] ? expand(where, m[1]) : 'up';
    queries.push({ where, expr: `count by (${m[2]}) (${selector})` });
  }
  return { queries, problems };
}
