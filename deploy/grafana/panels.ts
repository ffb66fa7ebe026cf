/**
 * Builders for Grafana's classic dashboard JSON model (what "Export → Save to file" writes and the sidecar
 * provisions). Every query goes to the `datasource` template variable: no datasource uid is written anywhere,
 * so the same file imports by hand and provisions from a ConfigMap.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, resolved by Grafana
export const datasource = { type: 'prometheus', uid: '${datasource}' } as const;

export type Query = { expr: string; legend?: string; instant?: boolean };

/** A panel's content; layout() gives it its place (gridPos) and id. */
export type PanelBody = { type: string; title: string; [key: string]: unknown };
export type Panel = PanelBody & { id: number; gridPos: { h: number; w: number; x: number; y: number } };

type Mapping = Record<string, { text: string; color: string }>;

type Common = {
  description: string;
  unit?: string;
  w?: number;
  h?: number;
  /** Value mappings (e.g. 1 → PAUSED), for state panels. */
  mappings?: Mapping;
  /** Threshold steps: [color, from] pairs after the base color (green unless `base` says otherwise). */
  thresholds?: Array<[string, number]>;
  base?: string;
};

const targets = (queries: Query[]) =>
  queries.map((q, i) => ({
    datasource,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    refId: String.fromCharCode(65 + i),
    ...(q.instant ? { instant: true, range: false } : { range: true }),
  }));

function fieldDefaults(o: Common): Record<string, unknown> {
  return {
    unit: o.unit ?? 'short',
    ...(o.mappings ? { mappings: [{ type: 'value', options: o.mappings }] } : { mappings: [] }),
    thresholds: {
      mode: 'absolute',
      steps: [
        { color: o.base ?? 'green', value: null },
        ...(o.thresholds ?? []).map(([color, value]) => ({ color, value })),
      ],
    },
  };
}

/** A time series: lines by default, stacked bars for counts of events. */
export function timeseries(
  title: string,
  queries: Query[],
  o: Common & { bars?: boolean; stacked?: boolean },
): PanelSpec {
  return {
    type: 'timeseries',
    title,
    description: o.description,
    datasource,
    w: o.w ?? 12,
    h: o.h ?? 8,
    targets: targets(queries),
    fieldConfig: {
      defaults: {
        ...fieldDefaults(o),
        custom: {
          drawStyle: o.bars ? 'bars' : 'line',
          fillOpacity: o.bars ? 80 : 10,
          lineWidth: 1,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: o.stacked || o.bars ? 'normal' : 'none', group: 'A' },
        },
        color: { mode: 'palette-classic' },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** One number, coloured by its thresholds or mappings. */
export function stat(title: string, query: Query, o: Common): PanelSpec {
  return {
    type: 'stat',
    title,
    description: o.description,
    datasource,
    w: o.w ?? 3,
    h: o.h ?? 4,
    targets: targets([query]),
    fieldConfig: { defaults: fieldDefaults(o), overrides: [] },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
      wideLayout: true,
      showPercentChange: false,
    },
  };
}

/** A panel before layout: its size, not yet its place. */
export type PanelSpec = PanelBody & { w: number; h: number };
export type Section = { title: string; panels: PanelSpec[] };

/**
 * Lays sections out top to bottom, each under a row header, panels left to right wrapping at Grafana's 24
 * columns; numbers the panels.
 */
export function layout(sections: Section[]): Panel[] {
  const out: Panel[] = [];
  let y = 0;
  let id = 1;
  for (const section of sections) {
    out.push({
      type: 'row',
      title: section.title,
      collapsed: false,
      id: id++,
      gridPos: { h: 1, w: 24, x: 0, y: y++ },
      panels: [],
    });
    let x = 0;
    let rowHeight = 0;
    for (const { w, h, ...panel } of section.panels) {
      if (x + w > 24) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      out.push({ ...(panel as PanelBody), id: id++, gridPos: { h, w, x, y } });
      x += w;
      rowHeight = Math.max(rowHeight, h);
    }
    y += rowHeight;
  }
  return out;
}

/** A query variable over a label's values. */
export function labelVariable(name: string, label: string, query: string, all: boolean) {
  return {
    name,
    label,
    type: 'query',
    datasource,
    definition: query,
    query: { query, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
    multi: all,
    includeAll: all,
    ...(all ? { allValue: '.*' } : {}),
    current: {},
    options: [],
  };
}
