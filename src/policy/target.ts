import { dnsLabelRule, dnsSubdomainRule, isDnsLabel, isDnsSubdomain, quoteValue } from '../domain/names.js';
import type { TargetRef } from '../domain/target.js';
import type { OwnerResolution } from '../kube/owner-cache.js';
import { type ChainSubject, chainKindsFor, chainText } from '../kube/owner-chain.js';
import type { ChainKind } from '../kube/port.js';
import type { CompiledPolicy, PolicyTable } from './table.js';
import { type CompiledTemplate, render, type TemplateData } from './templates.js';
import type { MatchOutcome, RefusalReason, Resolution } from './types.js';

/**
 * Resolves an `ownerOf` subject without waiting: the owner cache in memory (or, for a preview or a manual heal,
 * after its bounded reads). `unknown` / `unavailable` mean "not now", never "no".
 */
export type OwnerResolver = (subject: ChainSubject) => OwnerResolution;

type Refusal = Extract<MatchOutcome, { outcome: 'refused' }>;
type Deferral = Extract<MatchOutcome, { outcome: 'deferred' }>;

export type TargetResult =
  | { ok: true; target: TargetRef; resolution?: Resolution }
  | { ok: false; outcome: Refusal | Deferral };

function refused(policy: string, reason: RefusalReason, detail: string): TargetResult {
  return { ok: false, outcome: { outcome: 'refused', policy, reason, detail } };
}

function missing(field: string, source: string, what: string): string {
  return `${field} ${JSON.stringify(source)} needs ${what}, which is missing or empty`;
}

/** Renders a name template and checks the result is a Kubernetes name. */
function renderName(
  policy: string,
  field: string,
  template: CompiledTemplate,
  data: TemplateData,
  valid: (s: string) => boolean,
  rule: string,
): { ok: true; value: string } | TargetResult {
  const rendered = render(template, data);
  if (!rendered.ok)
    return refused(policy, 'template_missing', missing(field, template.source, rendered.missing));
  if (!valid(rendered.value))
    return refused(policy, 'invalid_name', `${field} ${quoteValue(rendered.value)} is not ${rule}`);
  return rendered;
}

/**
 * The policy's target for one alert: its templates filled and checked, or, for `target.ownerOf`, the top
 * controller of the object the alert names. The namespace is checked against `allow.namespaces` before anything
 * is looked up: labels must not make salve read other namespaces.
 */
export function targetFor(c: CompiledPolicy, data: TemplateData, resolve?: OwnerResolver): TargetResult {
  const { name: policy, target: spec, allow } = c.policy;
  if (c.namespace === null) {
    // A cluster-scoped target (a Node) is always named; its name is bounded by the remit (allow.names).
    const name = renderName(policy, 'target.name', c.name!, data, isDnsSubdomain, dnsSubdomainRule);
    if (!('value' in name)) return name;
    return { ok: true, target: { kind: spec.kind, name: name.value } };
  }
  const namespace = renderName(policy, 'target.namespace', c.namespace, data, isDnsLabel, dnsLabelRule);
  if (!('value' in namespace)) return namespace;
  if (c.ownerOf === null) {
    // Every target has a name or an ownerOf (schema-checks.ts).
    const name = renderName(policy, 'target.name', c.name!, data, isDnsSubdomain, dnsSubdomainRule);
    if (!('value' in name)) return name;
    return { ok: true, target: { kind: spec.kind, namespace: namespace.value, name: name.value } };
  }
  const subjectName = renderName(
    policy,
    'target.ownerOf.name',
    c.ownerOf.name,
    data,
    isDnsSubdomain,
    dnsSubdomainRule,
  );
  if (!('value' in subjectName)) return subjectName;
  if (!allow.namespaces.includes(namespace.value)) {
    return refused(
      policy,
      'not_allowed',
      `target.namespace ${quoteValue(namespace.value)} is not in allow.namespaces (${allow.namespaces.join(', ')})`,
    );
  }
  const subject: ChainSubject = { kind: c.ownerOf.kind, namespace: namespace.value, name: subjectName.value };
  const deferred = (detail: string): TargetResult => ({
    ok: false,
    outcome: { outcome: 'deferred', policy, subject, detail },
  });
  if (resolve === undefined) return deferred('no Kubernetes cluster to resolve the owner chain with');
  const walk = resolve(subject);
  switch (walk.status) {
    case 'unknown':
      return deferred(
        `the owner cache does not know ${walk.missing.kind} ${namespace.value}/${walk.missing.name} yet`,
      );
    case 'unavailable':
      return deferred(`the Kubernetes API did not answer: ${walk.detail}`);
    case 'unresolved':
      return refused(policy, 'target_unresolved', walk.detail);
    case 'resolved': {
      const top = walk.chain.at(-1);
      const path = chainText(namespace.value, walk.chain);
      if (top === undefined || top.kind !== spec.kind) {
        return refused(policy, 'target_kind_mismatch', `${path}: the top controller is not a ${spec.kind}`);
      }
      if (!isDnsSubdomain(top.name))
        return refused(policy, 'invalid_name', `${path}: ${quoteValue(top.name)} is not ${dnsSubdomainRule}`);
      return {
        ok: true,
        target: { kind: spec.kind, namespace: namespace.value, name: top.name },
        resolution: { subject, chain: walk.chain },
      };
    }
  }
}

/**
 * What the owner-chain cache must watch for this table: in each namespace an ownerOf policy may point at, every
 * kind its subjects' chains can pass through. Empty when no policy uses ownerOf: nothing is listed or watched.
 */
export function ownerWatchPlan(table: PolicyTable): Map<string, Set<ChainKind>> {
  const plan = new Map<string, Set<ChainKind>>();
  for (const c of table.index.byName.values()) {
    if (c.ownerOf === null) continue;
    const kinds = chainKindsFor([c.ownerOf.kind]);
    for (const namespace of c.policy.allow.namespaces) {
      const planned = plan.get(namespace) ?? new Set<ChainKind>();
      for (const kind of kinds) planned.add(kind);
      plan.set(namespace, planned);
    }
  }
  return plan;
}
