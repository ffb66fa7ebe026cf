import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { guardOrder, guardRefusalReasons } from '../../src/domain/guard.js';
import { healStates, openHealStates } from '../../src/domain/heal.js';
import { webhookOutcomes } from '../../src/http/routes/webhook.js';
import { deliveryOutcomes } from '../../src/notify/deliver.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import {
  catalogueFrom,
  type MetricCatalogue,
  withLabelValues,
  withScrapeSeries,
} from '../support/metric-catalogue.js';
import { dashboardQueries, readDashboard, ruleQueries } from '../support/monitoring-queries.js';
import { checkPromQL } from '../support/promql-check.js';

/**
 * The dashboard and the alerts read what salve's /metrics really exposes: a renamed metric, a dropped label
 * or a typo in a matcher fails here, not silently in Grafana or in an alert that can never fire.
 */
let t: TestApp;
let catalogue: MetricCatalogue;
beforeAll(async () => {
  t = await buildTestApp();
  const res = await t.app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const exposed = withScrapeSeries(catalogueFrom(res.body, t.deps.metrics.registry));
  // Label values the code names in full: a matcher on any other value selects nothing, ever.
  const actionKinds = [...createActionRegistry().keys(), 'none'];
  withLabelValues(exposed, 'salve_webhook_requests_total', 'outcome', webhookOutcomes);
  withLabelValues(exposed, 'salve_guard_refusals_total', 'guard', guardOrder);
  withLabelValues(exposed, 'salve_guard_refusals_total', 'reason', guardRefusalReasons);
  withLabelValues(exposed, 'salve_open_heals', 'state', openHealStates);
  withLabelValues(exposed, 'salve_heals_total', 'outcome', healStates);
  withLabelValues(exposed, 'salve_heals_total', 'action', actionKinds);
  withLabelValues(exposed, 'salve_notifications_total', 'outcome', deliveryOutcomes);
  catalogue = exposed;
});
afterAll(async () => {
  await t?.close();
});

describe('every query shipped in deploy/ reads metrics and labels salve exposes', () => {
  it('the catalogue is read from a running salve: its own metrics, histogram parts and process metrics', () => {
    expect(catalogue.get('salve_webhook_requests_total')).toMatchObject({ type: 'counter' });
    expect(catalogue.get('salve_time_to_resolve_seconds_bucket')?.labels).toEqual(
      new Set(['policy', 'le', 'job', 'instance']),
    );
    expect(catalogue.has('salve_time_to_resolve_seconds')).toBe(false);
    expect(catalogue.get('salve_open_heals')?.labels.has('state')).toBe(true);
    expect(catalogue.has('salve_process_resident_memory_bytes')).toBe(true);
  });

  it('deploy/prometheus/salve-rules.yml: every alert expression', () => {
    const queries = ruleQueries('deploy/prometheus/salve-rules.yml');
    expect(queries.length).toBeGreaterThan(10);
    const problems = queries.flatMap((q) => checkPromQL(q.expr, catalogue).map((p) => `${q.where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('deploy/grafana/salve.json: every panel, annotation and variable query', () => {
    const { queries, problems } = dashboardQueries(readDashboard());
    expect(queries.length).toBeGreaterThan(30);
    const all = [
      ...problems,
      ...queries.flatMap((q) => checkPromQL(q.expr, catalogue).map((p) => `${q.where}: ${p}`)),
    ];
    expect(all).toEqual([]);
  });

  it('a metric renamed in salve would fail the check (the check is not a pass-through)', () => {
    const renamed = new Map(catalogue);
    renamed.delete('salve_notifications_pending');
    const { queries } = dashboardQueries(readDashboard());
    const rules = ruleQueries('deploy/prometheus/salve-rules.yml');
    const failing = [...queries, ...rules].filter((q) => checkPromQL(q.expr, renamed).length > 0);
    expect(failing.map((q) => q.where)).toEqual(
      expect.arrayContaining([
        'panel "Notification backlog" A',
        'deploy/prometheus/salve-rules.yml: salve-notifications/SalveNotificationBacklog',
      ]),
    );
  });
});
