import type { ActionRegistry } from '../actions/registry.js';
import type { ResolvedStep } from '../domain/heal.js';
import { dnsLabelRule, dnsSubdomainRule, isDnsLabel, isDnsSubdomain, quoteValue } from '../domain/names.js';
import { targetKeyOf } from '../domain/target.js';
import { SalveError } from '../errors.js';
import { matchesAll } from './matchers.js';
import { renderParams } from './params.js';
import { formatPath, issueMessages, issueText } from './problems.js';
import { stepsRemit, targetRemit } from './remit.js';
import type { CompiledPolicy, PolicyTable } from './table.js';
import { lookup, render, type TemplateData } from './templates.js';
import type { MatchOutcome, RefusalReason } from './types.js';

export type AlertInput = TemplateData & { status: 'firing' | 'resolved' };

const NONE: readonly CompiledPolicy[] = [];

/**
 * Every policy whose `on` equals the alert's status and whose matchers all hold, in table order. Only the
 * policies indexed under the alert's `alertname` and the unindexed ones are checked; the result is the same
 * as a scan of the whole table.
 */
export function evaluateAlert(
  table: PolicyTable,
  alert: AlertInput,
  registry: ActionRegistry,
): MatchOutcome[] {
  const index = table.index[alert.status];
  const bucket = index.byAlertname.get(lookup(alert.labels, 'alertname') ?? '') ?? NONE;
  const rest = index.unindexed;
  const out: MatchOutcome[] = [];
  let i = 0;
  let j = 0;
  // Both lists are in table order; merging keeps the order of a linear scan.
  while (i < bucket.length || j < rest.length) {
    const a = bucket[i];
    const b = rest[j];
    let next: CompiledPolicy;
    if (a !== undefined && (b === undefined || a.order < b.order)) {
      next = a;
      i++;
    } else {
      next = b as CompiledPolicy;
      j++;
    }
    if (matchesAll(next.policy.match, alert.labels)) out.push(resolvePolicy(next, alert, registry));
  }
  return out;
}

/**
 * A manual heal: the named policy with operator-supplied labels. Matchers are not applied; templates,
 * name validation and `allow` are, exactly as for an alert.
 */
export function evaluateLabels(
  table: PolicyTable,
  policyName: string,
  labels: Readonly<Record<string, string>>,
  annotations: Readonly<Record<string, string>>,
  registry: ActionRegistry,
): MatchOutcome {
  const compiled = table.index.byName.get(policyName);
  if (compiled === undefined) {
    throw new SalveError('SALVE_POLICY_NOT_FOUND', `no policy named ${quoteValue(policyName)}`, {
      details: { policy: policyName },
    });
  }
  return resolvePolicy(compiled, { labels, annotations }, registry);
}

function refused(policy: string, reason: RefusalReason, detail: string): MatchOutcome {
  return { outcome: 'refused', policy, reason, detail };
}

function missing(field: string, source: string, what: string): string {
  return `${field} ${JSON.stringify(source)} needs ${what}, which is missing or empty`;
}

function resolvePolicy(c: CompiledPolicy, data: TemplateData, registry: ActionRegistry): MatchOutcome {
  const { name: policy } = c.policy;
  const namespace = render(c.namespace, data);
  if (!namespace.ok)
    return refused(
      policy,
      'template_missing',
      missing('target.namespace', c.namespace.source, namespace.missing),
    );
  const name = render(c.name, data);
  if (!name.ok)
    return refused(policy, 'template_missing', missing('target.name', c.name.source, name.missing));
  if (!isDnsLabel(namespace.value)) {
    return refused(
      policy,
      'invalid_name',
      `target.namespace ${quoteValue(namespace.value)} is not ${dnsLabelRule}`,
    );
  }
  if (!isDnsSubdomain(name.value)) {
    return refused(
      policy,
      'invalid_name',
      `target.name ${quoteValue(name.value)} is not ${dnsSubdomainRule}`,
    );
  }
  const target = { kind: c.policy.target.kind, namespace: namespace.value, name: name.value };
  const targetBounds = targetRemit(c, target);
  if (!targetBounds.ok) return refused(policy, 'not_allowed', targetBounds.detail);
  const steps: ResolvedStep[] = [];
  for (const [i, step] of c.steps.entries()) {
    const rendered = renderParams(step.params, data);
    if (!rendered.ok) {
      const at = formatPath(['steps', i, 'with', ...rendered.path]);
      return refused(
        policy,
        'template_missing',
        `${at} needs ${rendered.missing}, which is missing or empty`,
      );
    }
    const action = registry.get(step.spec.action);
    if (action === undefined) {
      // The table was loaded against this registry; a missing action means the caller mixed registries.
      throw new SalveError(
        'SALVE_INTERNAL',
        `policy ${policy} names action ${step.spec.action}, not in the registry`,
      );
    }
    const parsed = action.params.safeParse(rendered.value, { error: issueMessages });
    if (!parsed.success) {
      const why = parsed.error.issues
        .map((issue) => `${formatPath(['steps', i, 'with', ...issue.path])}: ${issueText(issue)}`)
        .join('; ');
      return refused(policy, 'invalid_params', why);
    }
    steps.push({ action: step.spec.action, params: parsed.data, verify: step.spec.verify });
  }
  // Every designator a step carries (a namespace, a model, a DAG) is written in the policy or in its list.
  const stepBounds = stepsRemit(c, steps, registry);
  if (!stepBounds.ok) return refused(policy, 'not_allowed', stepBounds.detail);
  return {
    outcome: 'match',
    policy,
    target,
    targetKey: targetKeyOf(target),
    steps,
  };
}
