import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import type { MetricCatalogue, SeriesInfo } from './metric-catalogue.js';
import {
  counterOnly,
  distance,
  gaugeOnly,
  overTime,
  paramAggregations,
  sameLabels,
  setOps,
  unknownValues,
} from './promql-functions.js';

/**
 * Checks a PromQL expression against the series a target exposes, with Prometheus's own grammar (the parser
 * of its web UI): every metric selected exists; every label a matcher, `by`, `without`, `on`, `ignoring`,
 * `group_left/right` or `label_replace` names exists at that point of the expression (labels are inferred
 * through aggregations and vector matching); counters are rated and gauges are not; histogram_quantile gets
 * buckets; two vectors matched without `on`/`ignoring` carry the same labels (else they never match).
 * Returns the problems, empty when the expression is sound.
 */
export function checkPromQL(expr: string, catalogue: MetricCatalogue): string[] {
  const problems: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(n) {
      if (n.type.isError) problems.push(`syntax error at offset ${n.from}: ${snippet(expr, n.from)}`);
    },
  });
  if (problems.length > 0) return problems;
  const root = tree.topNode.firstChild;
  if (!root) return ['empty expression'];
  new Checker(expr, catalogue, problems).infer(root);
  return problems;
}

const snippet = (expr: string, at: number) => JSON.stringify(expr.slice(Math.max(0, at - 20), at + 20));

/** What an expression evaluates to; for vectors, the labels its series can carry and the series it reads. */
type Series = { kind: 'vector' | 'matrix'; labels: Set<string>; from: SeriesInfo[] };
type Value = { kind: 'scalar' | 'string' } | Series;

const scalar: Value = { kind: 'scalar' };
const vectorOf = (labels: Iterable<string>, from: SeriesInfo[] = []): Value => ({
  kind: 'vector',
  labels: new Set(labels),
  from,
});

class Checker {
  constructor(
    private readonly expr: string,
    private readonly catalogue: MetricCatalogue,
    private readonly problems: string[],
  ) {}

  private text(n: SyntaxNode): string {
    return this.expr.slice(n.from, n.to);
  }

  private problem(n: SyntaxNode, message: string): void {
    this.problems.push(`${message} (in ${JSON.stringify(this.text(n).slice(0, 80))})`);
  }

  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  private labelNames(grouping: SyntaxNode | null): string[] {
    if (!grouping) return [];
    return this.children(grouping).map((c) => this.unquote(this.text(c)));
  }

  private unquote(s: string): string {
    return /^["'`]/.test(s) ? (JSON.parse(`"${s.slice(1, -1)}"`) as string) : s;
  }

  /** Labels of `names` that `v` cannot carry. */
  private requireLabels(n: SyntaxNode, v: Value, names: string[], where: string): void {
    if (v.kind !== 'vector' && v.kind !== 'matrix') {
      if (names.length > 0) this.problem(n, `${where} (${names.join(', ')}) applied to a ${v.kind}`);
      return;
    }
    for (const name of names) {
      if (!v.labels.has(name)) {
        this.problem(
          n,
          `${where} names label "${name}", which is not on [${[...v.labels].sort().join(', ')}]`,
        );
      }
    }
  }

  infer(n: SyntaxNode): Value {
    switch (n.type.name) {
      case 'NumberDurationLiteral':
        return scalar;
      case 'StringLiteral':
        return { kind: 'string' };
      case 'ParenExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
        return this.infer(n.firstChild!);
      case 'UnaryExpr':
        return this.infer(n.lastChild!);
      case 'VectorSelector':
        return this.selector(n);
      case 'MatrixSelector': {
        const v = this.infer(n.firstChild!);
        return v.kind === 'vector' ? { ...v, kind: 'matrix' } : v;
      }
      case 'SubqueryExpr': {
        const v = this.infer(n.firstChild!);
        if (v.kind !== 'vector') this.problem(n, 'a subquery needs an instant vector');
        return v.kind === 'vector' ? { ...v, kind: 'matrix' } : v;
      }
      case 'FunctionCall':
        return this.call(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'BinaryExpr':
        return this.binary(n);
      default:
        this.problem(n, `the checker does not know ${n.type.name}: teach it before using it`);
        return scalar;
    }
  }

  private selector(n: SyntaxNode): Value {
    const matchers = this.children(n.getChild('LabelMatchers') ?? n).filter((c) =>
      c.type.name.endsWith('Matcher'),
    );
    const parsed = matchers.map((m) => {
      const [name, op, value] = this.children(m);
      return {
        node: m,
        name: this.unquote(this.text(name!)),
        op: this.text(op!),
        value: this.unquote(this.text(value!)),
      };
    });
    const identifier = n.getChild('Identifier');
    const metric = identifier
      ? this.text(identifier)
      : parsed.find((p) => p.name === '__name__' && p.op === '=')?.value;
    if (!metric) {
      this.problem(n, 'a selector without a metric name cannot be checked');
      return vectorOf([]);
    }
    const info = this.catalogue.get(metric);
    if (!info) {
      this.problem(n, `unknown metric ${metric}${this.suggest(metric)}`);
      return vectorOf(parsed.map((p) => p.name));
    }
    for (const p of parsed) {
      if (p.name === '__name__') continue;
      if (!info.labels.has(p.name)) {
        this.problem(
          p.node,
          `${metric} has no label "${p.name}" (it has ${[...info.labels].sort().join(', ')})`,
        );
        continue;
      }
      const known = info.values?.get(p.name);
      for (const w of known ? unknownValues(p.op, p.value, known) : []) {
        this.problem(
          p.node,
          `${metric}{${p.name}} is never "${w}" (it is one of ${[...known!].sort().join(', ')})`,
        );
      }
    }
    return vectorOf(info.labels, [info]);
  }

  private suggest(metric: string): string {
    const near = [...this.catalogue.keys()].filter((k) => distance(k, metric) <= 3);
    return near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : '';
  }

  private call(n: SyntaxNode): Value {
    const fn = this.text(n.getChild('FunctionIdentifier')!);
    const args = this.children(n.getChild('FunctionCallBody')!);
    const values = args.map((a) => this.infer(a));
    const labels = values.find((v): v is Series => v.kind === 'vector' || v.kind === 'matrix') ?? null;
    if (counterOnly.has(fn) || gaugeOnly.has(fn)) {
      for (const info of labels?.from ?? []) {
        if (counterOnly.has(fn) && !info.monotonic)
          this.problem(n, `${fn}() of ${info.family}, a ${info.type}`);
        if (gaugeOnly.has(fn) && info.monotonic)
          this.problem(n, `${fn}() of ${info.family}, a counter: use rate()`);
      }
    }
    if (counterOnly.has(fn) || gaugeOnly.has(fn) || overTime.has(fn)) {
      if (labels?.kind !== 'matrix') this.problem(n, `${fn}() needs a range vector`);
      return vectorOf(labels?.labels ?? [], labels?.from);
    }
    if (fn === 'histogram_quantile') {
      const buckets = values[1];
      this.requireLabels(n, buckets ?? scalar, ['le'], 'histogram_quantile');
      const kept = labels ? [...labels.labels].filter((l) => l !== 'le') : [];
      return vectorOf(kept, labels?.from);
    }
    if (fn === 'label_replace' || fn === 'label_join') {
      const strings = args.slice(1).map((a) => this.unquote(this.text(a)));
      const [dst, ...rest] = strings;
      const sources = fn === 'label_replace' ? [rest[1]!] : rest.slice(1);
      this.requireLabels(
        n,
        values[0] ?? scalar,
        sources.filter((s) => s !== ''),
        fn,
      );
      return vectorOf([...(labels?.labels ?? []), dst!], labels?.from);
    }
    if (fn === 'vector') return vectorOf([]);
    if (fn === 'scalar' || fn === 'time' || fn === 'pi') return scalar;
    if (sameLabels.has(fn)) return vectorOf(labels?.labels ?? [], labels?.from);
    this.problem(n, `the checker does not know ${fn}(): teach it before using it`);
    return scalar;
  }

  private aggregate(n: SyntaxNode): Value {
    const op = this.text(n.getChild('AggregateOp')!);
    const args = this.children(n.getChild('FunctionCallBody')!);
    const input = this.infer(args[args.length - 1]!);
    if (paramAggregations.has(op)) this.infer(args[0]!);
    if (input.kind !== 'vector') {
      this.problem(n, `${op} needs an instant vector`);
      return vectorOf([]);
    }
    const modifier = n.getChild('AggregateModifier');
    const grouping = this.labelNames(modifier?.getChild('GroupingLabels') ?? null);
    const added = op === 'count_values' ? [this.unquote(this.text(args[0]!))] : [];
    if (!modifier) return vectorOf(added, input.from);
    const without = modifier.getChild('Without') !== null;
    this.requireLabels(n, input, grouping, `${op} ${without ? 'without' : 'by'}`);
    const kept = without ? [...input.labels].filter((l) => !grouping.includes(l)) : grouping;
    return vectorOf([...kept, ...added], input.from);
  }

  private binary(n: SyntaxNode): Value {
    const parts = this.children(n);
    const left = this.infer(parts[0]!);
    const right = this.infer(parts[parts.length - 1]!);
    const op = parts[1]!.type.name;
    const clause = n.getChild('MatchingModifierClause');
    const isVector = (v: Value): v is Series => v.kind === 'vector';
    if (!isVector(left) || !isVector(right)) {
      if (clause) this.problem(n, 'vector matching between a vector and a scalar');
      if (setOps.has(op)) this.problem(n, `${op.toLowerCase()} needs vectors on both sides`);
      return isVector(left) ? left : isVector(right) ? right : scalar;
    }
    const groups = clause ? this.children(clause).filter((c) => c.type.name === 'GroupingLabels') : [];
    const matching = this.labelNames(groups[0] ?? null);
    const on = clause !== null && clause.getChild('On') !== null;
    const groupLeft = clause?.getChild('GroupLeft') ?? null;
    const groupRight = clause?.getChild('GroupRight') ?? null;
    const include = this.labelNames(groups[1] ?? null);
    if (clause) {
      if (on) {
        this.requireLabels(n, left, matching, 'on (left side)');
        this.requireLabels(n, right, matching, 'on (right side)');
      } else {
        for (const l of matching) {
          if (!left.labels.has(l) && !right.labels.has(l))
            this.problem(n, `ignoring names "${l}", on neither side`);
        }
      }
    }
    const from = [...left.from, ...right.from];
    if (setOps.has(op)) {
      return op === 'Or' ? vectorOf([...left.labels, ...right.labels], from) : vectorOf(left.labels, from);
    }
    const signature = (v: Set<string>) =>
      [...v]
        .filter((l) => (on ? matching.includes(l) : !matching.includes(l)))
        .sort()
        .join(',');
    if (!groupLeft && !groupRight && signature(left.labels) !== signature(right.labels)) {
      this.problem(
        n,
        `the two sides carry different labels ([${signature(left.labels)}] and [${signature(right.labels)}]): no series would match; aggregate them alike or use on()/ignoring()`,
      );
    }
    if (groupLeft) {
      this.requireLabels(n, right, include, 'group_left');
      return vectorOf([...left.labels, ...include], from);
    }
    if (groupRight) {
      this.requireLabels(n, left, include, 'group_right');
      return vectorOf([...right.labels, ...include], from);
    }
    const kept = [...left.labels].filter((l) => (on ? matching.includes(l) : !matching.includes(l)));
    return vectorOf(clause ? kept : left.labels, from);
  }
}
