import { SalveError } from '../errors.js';
import type { OwnerOfKind } from '../kube/owner-chain.js';
import { pinnedValues } from './literal-values.js';
import { type CompiledParams, compileParams } from './params.js';
import { type CompiledTemplate, compileTemplate } from './templates.js';
import type { Policy, StepSpec } from './types.js';

/** A policy with its templates compiled once, so matching an alert does no parsing. */
export type CompiledPolicy = {
  policy: Policy;
  /** Position in the table: results come out in table order whichever index bucket they came from. */
  order: number;
  /** The target's namespace; null for a cluster-scoped target (a Node). */
  namespace: CompiledTemplate | null;
  /** The target's name; null when the owner chain names it (`ownerOf`). */
  name: CompiledTemplate | null;
  /** `target.ownerOf`: the kind and name of the object whose top controller is the target. */
  ownerOf: { kind: OwnerOfKind; name: CompiledTemplate } | null;
  steps: readonly CompiledStep[];
};

/** A step's parameters as its action parsed them, or why they were refused (the path from `steps[i]`). */
export type ValidatedParams = { ok: true; params: unknown } | { ok: false; why: string };

export type CompiledStep = {
  spec: StepSpec;
  params: CompiledParams;
  /**
   * Parsed parameters by their rendered JSON: the alerts of one group render the same ones, and zod need not
   * parse them again for each. Bounded; it lives and goes with the table it belongs to.
   */
  validated: Map<string, ValidatedParams>;
};

type StatusIndex = {
  /** Policies whose matchers pin `alertname` to a finite set of values, under each value. */
  byAlertname: ReadonlyMap<string, readonly CompiledPolicy[]>;
  /** Everything else: checked for every alert of that status. */
  unindexed: readonly CompiledPolicy[];
};

export type PolicyIndex = {
  firing: StatusIndex;
  resolved: StatusIndex;
  byName: ReadonlyMap<string, CompiledPolicy>;
};

export type PolicyTable = {
  policies: readonly Policy[];
  byName: ReadonlyMap<string, Policy>;
  files: readonly string[];
  loadedAt: string;
  /** Compiled templates and the alertname index; built by `createPolicyTable`. */
  index: PolicyIndex;
};

function template(policy: Policy, field: string, source: string): CompiledTemplate {
  const compiled = compileTemplate(source);
  if (compiled.ok) return compiled.template;
  throw new SalveError('SALVE_POLICY_INVALID', `policy ${policy.name} target.${field}: ${compiled.error}`);
}

function compilePolicy(policy: Policy, order: number): CompiledPolicy {
  const { target } = policy;
  const steps = policy.steps.map((spec, i) => {
    const compiled = compileParams(spec.with);
    if (!compiled.ok) {
      const first = compiled.problems[0];
      throw new SalveError(
        'SALVE_POLICY_INVALID',
        `policy ${policy.name} steps[${i}].with: ${first?.message}`,
      );
    }
    return { spec, params: compiled.params, validated: new Map() };
  });
  return {
    policy,
    order,
    namespace: target.namespace === undefined ? null : template(policy, 'namespace', target.namespace),
    name: target.name === undefined ? null : template(policy, 'name', target.name),
    ownerOf:
      target.ownerOf === undefined
        ? null
        : { kind: target.ownerOf.kind, name: template(policy, 'ownerOf.name', target.ownerOf.name) },
    steps,
  };
}

function buildStatusIndex(compiled: readonly CompiledPolicy[]): StatusIndex {
  const byAlertname = new Map<string, CompiledPolicy[]>();
  const unindexed: CompiledPolicy[] = [];
  for (const c of compiled) {
    const names = pinnedValues(c.policy.match, 'alertname');
    if (names === null) {
      unindexed.push(c);
      continue;
    }
    for (const name of names) {
      const bucket = byAlertname.get(name);
      if (bucket === undefined) byAlertname.set(name, [c]);
      else bucket.push(c);
    }
  }
  return { byAlertname, unindexed };
}

export type TableMeta = { files: readonly string[]; loadedAt: string };

/** The one way to build a table: names, compiled templates and the alertname index stay consistent. */
export function createPolicyTable(policies: readonly Policy[], meta: TableMeta): PolicyTable {
  const compiled = policies.map(compilePolicy);
  const byName = new Map<string, Policy>();
  const compiledByName = new Map<string, CompiledPolicy>();
  for (const c of compiled) {
    if (byName.has(c.policy.name)) {
      throw new SalveError('SALVE_POLICY_INVALID', `policy name ${c.policy.name} is defined twice`);
    }
    byName.set(c.policy.name, c.policy);
    compiledByName.set(c.policy.name, c);
  }
  return {
    policies,
    byName,
    files: meta.files,
    loadedAt: meta.loadedAt,
    index: {
      firing: buildStatusIndex(compiled.filter((c) => c.policy.on === 'firing')),
      resolved: buildStatusIndex(compiled.filter((c) => c.policy.on === 'resolved')),
      byName: compiledByName,
    },
  };
}
