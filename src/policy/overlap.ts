import { pinnedValues } from './literal-values.js';
import { matches } from './matchers.js';
import type { CompiledPolicy, PolicyTable } from './table.js';
import { type CompiledTemplate, templatePattern } from './templates.js';
import type { LabelMatcher } from './types.js';

/** Two policies that one alert can send against one target: `salve check` warns, the engine serializes them. */
export type OverlapWarning = {
  policies: [string, string];
  files: [string, string];
  message: string;
};

/** The namespaces a target may be in; null for a cluster-scoped target, which is in none. */
function effectiveNamespaces(c: CompiledPolicy): ReadonlySet<string> | null {
  if (c.namespace === null) return null;
  return new Set(c.namespace.dynamic ? c.policy.allow.namespaces : [c.namespace.source]);
}

function prefixOf(t: CompiledTemplate): string {
  const first = t.parts[0];
  return first !== undefined && 'text' in first ? first.text : '';
}

function suffixOf(t: CompiledTemplate): string {
  const last = t.parts[t.parts.length - 1];
  return last !== undefined && 'text' in last ? last.text : '';
}

/**
 * False only when no label values can make the two name templates render the same string. A name the owner
 * chain gives (null) can be any name.
 */
function namesCanCoincide(a: CompiledTemplate | null, b: CompiledTemplate | null): boolean {
  if (a === null || b === null) return true;
  if (!a.dynamic && !b.dynamic) return a.source === b.source;
  if (!a.dynamic) return templatePattern(b).test(a.source);
  if (!b.dynamic) return templatePattern(a).test(b.source);
  const [pa, pb, sa, sb] = [prefixOf(a), prefixOf(b), suffixOf(a), suffixOf(b)];
  return (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa));
}

function targetsCanCoincide(a: CompiledPolicy, b: CompiledPolicy): boolean {
  const [nsA, nsB] = [effectiveNamespaces(a), effectiveNamespaces(b)];
  if (nsA === null || nsB === null) {
    if (nsA !== nsB) return false;
  } else if (![...nsA].some((ns) => nsB.has(ns))) return false;
  return namesCanCoincide(a.name, b.name);
}

/**
 * True when no label set satisfies both matcher lists, as far as can be proven cheaply: some label is pinned
 * to finitely many values (`=` or `=~"a|b"`) and none of them passes every matcher of both policies on it.
 */
export function provablyDisjoint(a: readonly LabelMatcher[], b: readonly LabelMatcher[]): boolean {
  const all = [...a, ...b];
  for (const label of new Set(all.map((m) => m.label))) {
    const pinned = pinnedValues(all, label);
    if (pinned === null) continue;
    const onLabel = all.filter((m) => m.label === label);
    const satisfiable = [...pinned].some((value) => onLabel.every((m) => matches(m, { [label]: value })));
    if (!satisfiable) return true;
  }
  return false;
}

function pushTo<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [item]);
  else list.push(item);
}

function candidatePairs(group: readonly CompiledPolicy[]): [CompiledPolicy, CompiledPolicy][] {
  // Policies pinned to different alertnames can never overlap: compare within alertname buckets, plus
  // every unpinned policy against the whole group.
  const buckets = new Map<string, CompiledPolicy[]>();
  const unpinned: CompiledPolicy[] = [];
  for (const c of group) {
    const names = pinnedValues(c.policy.match, 'alertname');
    if (names === null) unpinned.push(c);
    else for (const n of names) pushTo(buckets, n, c);
  }
  const seen = new Set<string>();
  const pairs: [CompiledPolicy, CompiledPolicy][] = [];
  const add = (x: CompiledPolicy, y: CompiledPolicy) => {
    if (x === y) return;
    const [a, b] = x.order < y.order ? [x, y] : [y, x];
    const key = `${a.order}/${b.order}`;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push([a, b]);
  };
  for (const bucket of buckets.values()) {
    for (let i = 0; i < bucket.length; i++)
      for (let j = i + 1; j < bucket.length; j++) add(bucket[i]!, bucket[j]!);
  }
  for (const u of unpinned) for (const c of group) add(u, c);
  return pairs.sort(([a1, b1], [a2, b2]) => a1.order - a2.order || b1.order - b2.order);
}

export function findOverlaps(table: PolicyTable): OverlapWarning[] {
  const groups = new Map<string, CompiledPolicy[]>();
  for (const c of table.index.byName.values()) {
    const key = `${c.policy.on}/${c.policy.target.kind}`;
    pushTo(groups, key, c);
  }
  const warnings: OverlapWarning[] = [];
  for (const group of groups.values()) {
    for (const [a, b] of candidatePairs(group)) {
      if (!targetsCanCoincide(a, b) || provablyDisjoint(a.policy.match, b.policy.match)) continue;
      const { target } = a.policy;
      const name = target.name ?? `the controller of a ${target.ownerOf.kind}`;
      warnings.push({
        policies: [a.policy.name, b.policy.name],
        files: [a.policy.source.file, b.policy.source.file],
        message:
          `policies ${a.policy.name} (${a.policy.source.file}) and ${b.policy.name} (${b.policy.source.file}) ` +
          `can act on the same ${target.kind} (${target.namespace === undefined ? name : `${target.namespace}/${name}`}) for the same alert`,
      });
    }
  }
  return warnings;
}
