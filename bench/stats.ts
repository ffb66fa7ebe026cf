/** The p-th percentile (0..100) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: Float64Array | number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export const mib = (bytes: number): number => bytes / (1024 * 1024);
