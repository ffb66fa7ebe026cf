/** The PromQL functions and operators the checker knows, by how they treat labels and metric types. */
export const sameLabels = new Set([
  'abs',
  'ceil',
  'floor',
  'round',
  'exp',
  'ln',
  'log2',
  'log10',
  'sqrt',
  'sgn',
  'clamp',
  'clamp_min',
  'clamp_max',
  'timestamp',
  'sort',
  'sort_desc',
  'absent',
  'deg',
  'rad',
]);
export const overTime = new Set([
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'sum_over_time',
  'count_over_time',
  'last_over_time',
  'quantile_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'present_over_time',
  'absent_over_time',
  'changes',
]);
export const counterOnly = new Set(['rate', 'irate', 'increase', 'resets']);
export const gaugeOnly = new Set(['delta', 'idelta', 'deriv', 'predict_linear']);
export const setOps = new Set(['And', 'Or', 'Unless']);
export const paramAggregations = new Set([
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);

/** Levenshtein distance, for "did you mean". */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The values a positive matcher asks for that the label never takes. A regex of plain alternatives (a|b|c) is
 * checked value by value; anything richer, an empty value or a negative matcher is left alone.
 */
export function unknownValues(op: string, value: string, known: ReadonlySet<string>): string[] {
  if (value === '' || op.startsWith('!')) return [];
  const wanted = op === '=~' ? (/^[\w|-]+$/.test(value) ? value.split('|') : []) : [value];
  return wanted.filter((w) => !known.has(w));
}
