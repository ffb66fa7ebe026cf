import type { ActionRegistry } from '../actions/registry.js';
import type { Designator, TargetRef } from '../actions/types.js';
import type { ResolvedStep } from '../domain/heal.js';
import { quoteValue } from '../domain/names.js';
import { containsTemplate } from './params.js';
import { formatPath } from './problems.js';
import type { CompiledPolicy } from './table.js';

// A policy's remit: what its heals may act on. Everything an alert's labels can choose about *what* is acted
// on (the target, and each step's designators) is either written in the policy or found in one of its
// `allow` lists. Checked when an alert opens a heal, and again by the `allowed` guard before the heal acts,
// against the policy in force then.

/** One designator of a heal and what bounds it: what `salve test` shows and the `allowed` guard checks. */
export type RemitBound = {
  /** `target.namespace`, `steps[0].with.model` */
  field: string;
  value: string;
  /**
   * `literal` (written in the policy), `allow.models`, `namespace` (a name in a bounded namespace), or `owner`
   * (the top controller of the object the alert names, in a bounded namespace).
   */
  bound: 'literal' | 'namespace' | 'owner' | `allow.${string}`;
};

export type RemitCheck =
  | { ok: true; bounds: RemitBound[] }
  | { ok: false; field: string; value: string; detail: string };

const list = (values: readonly string[]) => values.join(', ');

function outside(field: string, value: string, key: string, values: readonly string[]): RemitCheck {
  return {
    ok: false,
    field,
    value,
    detail: `${field} ${quoteValue(value)} is not in allow.${key} (${list(values)})`,
  };
}

/**
 * The target: a namespaced one's namespace always within allow.namespaces, its name within allow.names when
 * there is one. A cluster-scoped target (a Node) has no namespace to bound it: its name is a designator like
 * any other, written in the policy or within allow.names.
 */
export function targetRemit(policy: CompiledPolicy, target: TargetRef): RemitCheck {
  if (policy.namespace === null || target.namespace === undefined) return clusterTargetRemit(policy, target);
  const { allow } = policy.policy;
  if (!allow.namespaces.includes(target.namespace))
    return outside('target.namespace', target.namespace, 'namespaces', allow.namespaces);
  const bounds: RemitBound[] = [
    {
      field: 'target.namespace',
      value: target.namespace,
      bound: policy.namespace.dynamic ? 'allow.namespaces' : 'literal',
    },
  ];
  const names = allow.names;
  if (names !== undefined && !names.includes(target.name))
    return outside('target.name', target.name, 'names', names);
  const unbounded = policy.name === null ? 'owner' : 'namespace';
  bounds.push({
    field: 'target.name',
    value: target.name,
    bound: policy.name?.dynamic === false ? 'literal' : names !== undefined ? 'allow.names' : unbounded,
  });
  return { ok: true, bounds };
}

function clusterTargetRemit(policy: CompiledPolicy, target: TargetRef): RemitCheck {
  // A heal opened when the policy named a namespaced kind (or the other way round) is not this policy's now.
  if (policy.namespace !== null || target.namespace !== undefined) {
    return {
      ok: false,
      field: 'target.namespace',
      value: target.namespace ?? '',
      detail: `${target.kind} ${quoteValue(target.name)}: the policy in force no longer names a target of this scope`,
    };
  }
  const field = 'target.name';
  const names = policy.policy.allow.names;
  if (names !== undefined) {
    if (!names.includes(target.name)) return outside(field, target.name, 'names', names);
    const bound = policy.name?.dynamic === false ? 'literal' : 'allow.names';
    return { ok: true, bounds: [{ field, value: target.name, bound }] };
  }
  if (policy.name?.dynamic === false && policy.name.source === target.name)
    return { ok: true, bounds: [{ field, value: target.name, bound: 'literal' }] };
  return {
    ok: false,
    field,
    value: target.name,
    detail: `${field} ${quoteValue(target.name)} names a cluster-scoped ${target.kind} that the policy neither writes nor lists in allow.names`,
  };
}

/** How the policy in force writes one `with:` key of step `i`. */
type Written =
  | { kind: 'absent' }
  | { kind: 'literal'; value: unknown }
  | { kind: 'template' }
  /** The step is no longer this action: the policy says nothing about this value. */
  | { kind: 'changed' };

function written(policy: CompiledPolicy, i: number, action: string, key: string): Written {
  const step = policy.steps[i];
  if (step === undefined || step.spec.action !== action) return { kind: 'changed' };
  const entry = step.params.kind === 'object' ? step.params.entries.find(([k]) => k === key)?.[1] : undefined;
  if (entry === undefined) return { kind: 'absent' };
  if (containsTemplate(entry)) return { kind: 'template' };
  return { kind: 'literal', value: entry.kind === 'literal' ? entry.value : undefined };
}

function designatorBound(
  policy: CompiledPolicy,
  field: string,
  value: string,
  designator: Designator,
): RemitCheck {
  const values = policy.policy.allow[designator.allow];
  if (values !== undefined) {
    if (!values.includes(value)) return outside(field, value, designator.allow, values);
    return { ok: true, bounds: [{ field, value, bound: `allow.${designator.allow}` }] };
  }
  // A name in the target's namespace is bounded by it; a cluster-scoped target has no namespace to lend.
  if (designator.within === 'namespace' && policy.namespace !== null)
    return { ok: true, bounds: [{ field, value, bound: 'namespace' }] };
  return {
    ok: false,
    field,
    value,
    detail: `${field} ${quoteValue(value)} comes from the alert, and the policy has no allow.${designator.allow} to bound it`,
  };
}

/** Every designator of every step: written in the policy (or left to its default), or within its list. */
export function stepsRemit(
  policy: CompiledPolicy,
  steps: readonly ResolvedStep[],
  registry: ActionRegistry,
): RemitCheck {
  const bounds: RemitBound[] = [];
  for (const [i, step] of steps.entries()) {
    const designators = registry.get(step.action)?.designators ?? {};
    const params = (step.params ?? {}) as Record<string, unknown>;
    for (const [key, designator] of Object.entries(designators)) {
      const raw = params[key];
      if (raw === undefined) continue;
      const value = String(raw);
      const field = formatPath(['steps', i, 'with', key]);
      const spec = written(policy, i, step.action, key);
      // Absent: the action's default, which the policy chose by leaving it out.
      if (spec.kind === 'absent' || (spec.kind === 'literal' && String(spec.value) === value)) {
        bounds.push({ field, value, bound: 'literal' });
        continue;
      }
      // Filled from the alert: within its list, or its namespace. A value the policy in force no longer
      // writes (it changed since the heal opened) needs the list itself.
      const checked = designatorBound(
        policy,
        field,
        value,
        spec.kind === 'template' ? designator : { allow: designator.allow },
      );
      if (!checked.ok) return checked;
      bounds.push(...checked.bounds);
    }
  }
  return { ok: true, bounds };
}

/** The whole remit of a heal (target and steps), as the `allowed` guard and `salve test` see it. */
export function remitOf(
  policy: CompiledPolicy,
  target: TargetRef,
  steps: readonly ResolvedStep[],
  registry: ActionRegistry,
): RemitCheck {
  const t = targetRemit(policy, target);
  if (!t.ok) return t;
  const s = stepsRemit(policy, steps, registry);
  if (!s.ok) return s;
  return { ok: true, bounds: [...t.bounds, ...s.bounds] };
}
