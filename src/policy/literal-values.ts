import type { LabelMatcher } from './types.js';

// A regex made only of plain characters and `|` (`critical|page`) accepts exactly those strings.
const LITERAL_ALTERNATION = /^[^\\^$.|?*+()[\]{}]*(?:\|[^\\^$.|?*+()[\]{}]*)*$/;

/** The words of a regex that is only a literal alternation (`critical|page`), else null. */
export function literalAlternation(pattern: string): string[] | null {
  return LITERAL_ALTERNATION.test(pattern) ? pattern.split('|') : null;
}

/**
 * The finite set of values a label can take under `matchers`, when the matchers pin it (`=` or a literal
 * alternation `=~"a|b"`); `null` when the set is open. Used for the alertname index and overlap checks.
 */
export function pinnedValues(matchers: readonly LabelMatcher[], label: string): ReadonlySet<string> | null {
  let pinned: Set<string> | null = null;
  for (const m of matchers) {
    if (m.label !== label) continue;
    let values: string[] | null = null;
    if (m.op === '=') values = [m.value];
    else if (m.op === '=~') values = literalAlternation(m.value);
    if (values === null) continue;
    pinned = pinned === null ? new Set(values) : new Set(values.filter((v) => pinned?.has(v)));
  }
  return pinned;
}
