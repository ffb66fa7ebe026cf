import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  catalogueFrom,
  type MetricCatalogue,
  withLabelValues,
  withScrapeSeries,
} from '../support/metric-catalogue.js';
import { checkPromQL } from '../support/promql-check.js';

let catalogue: MetricCatalogue;
beforeAll(async () => {
  const registry = new Registry();
  const registers = [registry];
  new Counter({ name: 'app_requests_total', help: 'h', labelNames: ['outcome'], registers });
  new Counter({ name: 'app_errors_total', help: 'h', registers });
  new Gauge({ name: 'app_open', help: 'h', labelNames: ['state'], registers });
  new Histogram({ name: 'app_seconds', help: 'h', labelNames: ['policy'], buckets: [1], registers });
  const text = await registry.metrics();
  catalogue = withLabelValues(
    withScrapeSeries(catalogueFrom(text, registry)),
    'app_requests_total',
    'outcome',
    ['accepted', 'error'],
  );
});
const check = (expr: string) => checkPromQL(expr, catalogue);

describe('checkPromQL', () => {
  it('accepts sound expressions: rates, histogram parts, aggregations, vector matching, scrape series', () => {
    for (const expr of [
      'sum by (job, outcome) (rate(app_requests_total{outcome=~"accepted|error", job="salve"}[5m]))',
      'histogram_quantile(0.99, sum by (le, policy) (rate(app_seconds_bucket[5m])))',
      'sum(rate(app_seconds_sum[5m])) / sum(rate(app_seconds_count[5m]))',
      'max by (job) (app_open{state="pending"}) > 10',
      'sum by (job) (rate(app_requests_total{outcome="error"}[5m])) / on (job) sum by (job) (rate(app_requests_total[5m])) > 0.05',
      'app_open * on (job, instance) group_left (policy) max by (job, instance, policy) (app_seconds_count)',
      'up{job="salve"} == 0 or absent(up{job="salve"})',
      'max_over_time(app_open[1h:1m]) > bool 0',
      'increase(app_errors_total[$__rate_interval])'.replace('$__rate_interval', '5m'),
      'label_replace(app_open, "phase", "$1", "state", "(.*)")',
      'sum without (instance) (app_open)',
      'topk(3, sum by (outcome) (increase(app_requests_total[1h])))',
    ]) {
      expect(check(expr), expr).toEqual([]);
    }
  });

  it('names a metric that is not exposed, with the nearest that is', () => {
    expect(check('sum(rate(app_request_total[5m]))')).toEqual([
      expect.stringMatching(/unknown metric app_request_total \(did you mean app_requests_total\?\)/),
    ]);
    expect(check('rate(app_seconds_buckets[5m])')[0]).toMatch(/unknown metric app_seconds_buckets/);
    // A histogram's family name is not a series: only _bucket, _sum and _count are.
    expect(check('app_seconds')[0]).toMatch(/unknown metric app_seconds\b/);
    expect(check('{__name__="app_nope"}')[0]).toMatch(/unknown metric app_nope/);
  });

  it('names a label the metric does not carry: in matchers, by, without, on, group_left', () => {
    expect(check('app_requests_total{outcom="error"}')[0]).toMatch(
      /app_requests_total has no label "outcom"/,
    );
    expect(check('sum by (polcy) (rate(app_seconds_count[5m]))')[0]).toMatch(
      /sum by names label "polcy", which is not on \[instance, job, policy\]/,
    );
    expect(check('sum without (nope) (app_open)')[0]).toMatch(/names label "nope"/);
    // After an aggregation only its grouping labels are left.
    expect(check('max by (state) (sum by (job) (app_open))')[0]).toMatch(
      /label "state", which is not on \[job\]/,
    );
    expect(check('app_open > on (policy) app_seconds_count')[0]).toMatch(
      /on \(left side\) names label "policy"/,
    );
    expect(check('app_open * on (job) group_left (nope) app_seconds_count')[0]).toMatch(
      /group_left names label "nope"/,
    );
  });

  it('names a label value salve never sets, where the code names them all', () => {
    expect(check('app_requests_total{outcome="acepted"}')[0]).toMatch(
      /app_requests_total\{outcome\} is never "acepted" \(it is one of accepted, error\)/,
    );
    expect(check('app_requests_total{outcome=~"accepted|eror"}')[0]).toMatch(/never "eror"/);
    expect(check('app_requests_total{outcome!="whatever"}')).toEqual([]);
  });

  it('rates counters only, and histogram_quantile only over buckets', () => {
    expect(check('rate(app_open[5m])')[0]).toMatch(/rate\(\) of app_open, a gauge/);
    expect(check('deriv(app_errors_total[5m])')[0]).toMatch(/deriv\(\) of app_errors_total, a counter/);
    expect(check('rate(app_errors_total)')[0]).toMatch(/rate\(\) needs a range vector/);
    expect(check('histogram_quantile(0.9, sum by (policy) (rate(app_seconds_bucket[5m])))')[0]).toMatch(
      /histogram_quantile names label "le"/,
    );
  });

  it('two vectors matched without on/ignoring must carry the same labels', () => {
    expect(check('rate(app_requests_total[5m]) / rate(app_errors_total[5m])')[0]).toMatch(
      /the two sides carry different labels/,
    );
    expect(check('sum(rate(app_requests_total[5m])) / sum(rate(app_errors_total[5m]))')).toEqual([]);
  });

  it('reports syntax errors and functions it was not taught, rather than passing them', () => {
    expect(check('sum(rate(app_errors_total[5m])')[0]).toMatch(/syntax error/);
    expect(check('sort_by_label(app_open, "state")')[0]).toMatch(/does not know sort_by_label/);
  });
});
