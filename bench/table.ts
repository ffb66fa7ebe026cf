/** A plain text table: the first column left-aligned, the others right-aligned (they are figures). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const fixed = (value: number | null, digits = 1): string =>
  value === null || !Number.isFinite(value) ? '-' : value.toFixed(digits);

export const grouped = (value: number): string => Math.round(value).toLocaleString('en-US');
