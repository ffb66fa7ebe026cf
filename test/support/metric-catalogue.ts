import type { Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One series name a query can select: `salve_x_total`, or a histogram's `salve_x_bucket`, `_sum`, `_count`. */
export type SeriesInfo = {
  family: string;
  type: MetricType;
  /** Counters, and every histogram or summary part but a summary's quantiles, only go up. */
  monotonic: boolean;
  labels: ReadonlySet<string>;
  /** Values a label can take, where salve's code names them all (for typos in matchers). */
  values?: ReadonlyMap<string, ReadonlySet<string>>;
};

export type MetricCatalogue = ReadonlyMap<string, SeriesInfo>;

/** The labels Prometheus adds to every series it scrapes. */
export const targetLabels = ['job', 'instance'] as const;

/**
 * The series an exposition (`/metrics` text) lets a query select, with their label names. The text says which
 * families exist and their types; label names come from the registry, because a labelled metric that has not
 * been observed yet shows no sample (and so no label) in the text.
 */
export function catalogueFrom(exposition: string, registry: Registry): Map<string, SeriesInfo> {
  const catalogue = new Map<string, SeriesInfo>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (!m) continue;
    const [, family, type] = m as unknown as [string, string, MetricType];
    const metric = registry.getSingleMetric(family) as unknown as
      | { labelNames?: readonly string[] }
      | undefined;
    if (!metric || !Array.isArray(metric.labelNames)) {
      throw new Error(`${family} is exposed but its registry entry has no labelNames: cannot check labels`);
    }
    const labels = new Set([...metric.labelNames, ...targetLabels]);
    const add = (name: string, monotonic: boolean, extra: string[] = []) =>
      catalogueSet(catalogue, name, { family, type, monotonic, labels: new Set([...labels, ...extra]) });
    if (type === 'histogram') {
      add(`${family}_bucket`, true, ['le']);
      add(`${family}_sum`, true);
      add(`${family}_count`, true);
    } else if (type === 'summary') {
      add(family, false, ['quantile']);
      add(`${family}_sum`, true);
      add(`${family}_count`, true);
    } else {
      add(family, type === 'counter');
    }
  }
  return catalogue;
}

function catalogueSet(catalogue: Map<string, SeriesInfo>, name: string, info: SeriesInfo): void {
  if (catalogue.has(name)) throw new Error(`${name} is exposed twice`);
  catalogue.set(name, info);
}

/** Series Prometheus itself records for each target. */
export function withScrapeSeries(catalogue: Map<string, SeriesInfo>): Map<string, SeriesInfo> {
  catalogue.set('up', { family: 'up', type: 'gauge', monotonic: false, labels: new Set(targetLabels) });
  return catalogue;
}

/** Declares the values a label of a metric family can take (every series of the family). */
export function withLabelValues(
  catalogue: Map<string, SeriesInfo>,
  family: string,
  label: string,
  values: readonly string[],
): Map<string, SeriesInfo> {
  let found = false;
  for (const [name, info] of catalogue) {
    if (info.family !== family) continue;
    if (!info.labels.has(label)) throw new Error(`${family} has no label ${label}`);
    const map = new Map(info.values ?? []);
    map.set(label, new Set(values));
    catalogue.set(name, { ...info, values: map });
    found = true;
  }
  if (!found) throw new Error(`no metric family ${family}`);
  return catalogue;
}
