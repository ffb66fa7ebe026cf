import type { z } from 'zod';
import type { ActionRegistry } from '../actions/registry.js';
import type { ResolvedStep } from '../domain/heal.js';
import { quoteValue } from '../domain/names.js';
import { targetKeyOf } from '../domain/target.js';
import { SalveError } from '../errors.js';
import { matchesAll } from './matchers.js';
import { renderParams } from './params.js';
import { formatPath, issueMessages, issueText } from './problems.js';
import { stepsRemit, targetRemit } from './remit.js';
import type { CompiledPolicy, CompiledStep, PolicyTable, ValidatedParams } from './table.js';
import { type OwnerResolver, targetFor } from './target.js';
import { lookup, type TemplateData } from './templates.js';
import type { MatchOutcome, RefusalReason } from './types.js';

export type AlertInput = TemplateData & { status: 'firing' | 'resolved' };

/** Rendered parameter sets remembered per step. */
const VALIDATED_PER_STEP = 1_000;

/** The action's parse of a step's rendered parameters, remembered by their JSON (a pure function of them). */
function validateParams(step: CompiledStep, i: number, schema: z.ZodType, value: unknown): ValidatedParams {
  const key = JSON.stringify(value);
  const known = step.validated.get(key);
  if (known !== undefined) return known;
  const parsed = schema.safeParse(value, { error: issueMessages });
  const result: ValidatedParams = parsed.success
    ? { ok: true, params: parsed.data }
    : {
        ok: false,
        why: parsed.error.issues
          .map((issue) => `${formatPath(['steps', i, 'with', ...issue.path])}: ${issueText(issue)}`)
          .join('; '),
      };
  if (step.validated.size >= VALIDATED_PER_STEP) step.validated.clear();
  step.validated.set(key, result);
  return result;
}

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
  resolve?: OwnerResolver,
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
    if (matchesAll(next.policy.match, alert.labels)) out.push(resolvePolicy(next, alert, registry, resolve));
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
  resolve?: OwnerResolver,
): MatchOutcome {
  const compiled = table.index.byName.get(policyName);
  if (compiled === undefined) {
    throw new SalveError('SALVE_POLICY_NOT_FOUND', `no policy named ${quoteValue(policyName)}`, {
      details: { policy: policyName },
    });
  }
  return resolvePolicy(compiled, { labels, annotations }, registry, resolve);
}

/**
 * One named policy against one alert, matchers and `on` included: a deferred match tried again with the table in
 * force now. A string when it no longer applies: the policy is gone, or no longer matches the alert.
 */
export function evaluatePolicy(
  table: PolicyTable,
  policyName: string,
  alert: AlertInput,
  registry: ActionRegistry,
  resolve?: OwnerResolver,
): MatchOutcome | 'policy_removed' | 'no_longer_matches' {
  const compiled = table.index.byName.get(policyName);
  if (compiled === undefined) return 'policy_removed';
  if (compiled.policy.on !== alert.status || !matchesAll(compiled.policy.match, alert.labels))
    return 'no_longer_matches';
  return resolvePolicy(compiled, alert, registry, resolve);
}

function resolvePolicy(
  c: CompiledPolicy,
  data: TemplateData,
  registry: ActionRegistry,
  resolve: OwnerResolver | undefined,
): MatchOutcome {
  const { name: policy } = c.policy;
  const found = targetFor(c, data, resolve);
  if (!found.ok) return found.outcome;
  const { target, resolution } = found;
  const refused = (reason: RefusalReason, detail: string): MatchOutcome => ({
    outcome: 'refused',
    policy,
    reason,
    detail,
  });
  // On the resolved target, for ownerOf: allow.names bounds the Deployment, not the pod.
  const targetBounds = targetRemit(c, target);
  if (!targetBounds.ok) return refused('not_allowed', targetBounds.detail);
  const steps: ResolvedStep[] = [];
  for (const [i, step] of c.steps.entries()) {
    const rendered = renderParams(step.params, data);
    if (!rendered.ok) {
      const at = formatPath(['steps', i, 'with', ...rendered.path]);
      return refused('template_missing', `${at} needs ${rendered.missing}, which is missing or empty`);
    }
    const action = registry.get(step.spec.action);
    if (action === undefined) {
      // The table was loaded against this registry; a missing action means the caller mixed registries.
      throw new SalveError(
        'SALVE_INTERNAL',
        `policy ${policy} names action ${step.spec.action}, not in the registry`,
      );
    }
    const parsed = validateParams(step, i, action.params, rendered.value);
    if (!parsed.ok) return refused('invalid_params', parsed.why);
    steps.push({ action: step.spec.action, params: parsed.params, verify: step.spec.verify });
  }
  // Every designator a step carries (a namespace, a model, a DAG) is written in the policy or in its list.
  const stepBounds = stepsRemit(c, steps, registry);
  if (!stepBounds.ok) return refused('not_allowed', stepBounds.detail);
  return {
    outcome: 'match',
    policy,
    target,
    targetKey: targetKeyOf(target),
    steps,
    ...(resolution === undefined ? {} : { resolution }),
  };
}
