import type { z } from 'zod';
import type { ActionRegistry } from '../actions/registry.js';
import type { AnyAction } from '../actions/types.js';
import { isClusterScopedKind } from '../domain/target.js';
import { type OwnerOfKind, ownerOfTops } from '../kube/owner-chain.js';
import { checkParams, compileParams, containsTemplate } from './params.js';
import { flattenIssue } from './problems.js';
import { compileTemplate } from './templates.js';

// Checks that span several fields. They run even when a sibling field failed (`when: whenMapping`), so one
// load reports every problem; that is why they read their input as `unknown` and narrow it themselves.

type Ctx = z.core.$RefinementCtx<unknown>;

export const KIND = /^[A-Z][A-Za-z0-9]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function whenMapping(payload: z.core.ParsePayload): boolean {
  return isRecord(payload.value);
}

function actionOf(registry: ActionRegistry, step: unknown): AnyAction | undefined {
  if (!isRecord(step) || typeof step.action !== 'string') return undefined;
  return registry.get(step.action);
}

/** `with:` string leaves must be valid templates, and the block must satisfy the action's own schema. */
export function checkStep(registry: ActionRegistry) {
  return (step: unknown, ctx: Ctx): void => {
    if (!isRecord(step)) return;
    const block = step.with ?? {};
    if (!isRecord(block)) return;
    const compiled = compileParams(block);
    if (!compiled.ok) {
      for (const p of compiled.problems)
        ctx.addIssue({ code: 'custom', path: ['with', ...p.path], message: p.message });
      return;
    }
    const action = actionOf(registry, step);
    if (action === undefined) return;
    if (compiled.params.kind === 'object') {
      for (const [key, value] of compiled.params.entries) {
        if (action.literalParams?.includes(key) && containsTemplate(value)) {
          ctx.addIssue({
            code: 'custom',
            path: ['with', key],
            message: `must be written in the policy: an alert's labels may not choose where ${action.kind} sends requests or credentials`,
          });
        }
      }
    }
    for (const issue of checkParams(action.params, compiled.params, compiled.dynamic)) {
      for (const flat of flattenIssue(issue)) {
        ctx.addIssue({
          code: 'custom',
          path: ['with', ...flat.path],
          message: flat.message,
          params: { atKey: flat.atKey },
        });
      }
    }
  };
}

/**
 * A target has a namespace exactly when Kubernetes serves its kind namespaced: a Node has none, a Deployment
 * always one. Named after the field, so the loader points at the target (file:line).
 */
function checkScope(target: Record<string, unknown>, ctx: Ctx): void {
  const { kind, namespace } = target;
  if (typeof kind !== 'string' || !KIND.test(kind)) return;
  if (isClusterScopedKind(kind) && namespace !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['namespace'],
      message: `must not be set: a ${kind} is cluster-scoped, it lives in no namespace`,
    });
  } else if (!isClusterScopedKind(kind) && namespace === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['namespace'],
      message: `is required: a ${kind} lives in a namespace (only cluster-scoped kinds such as Node have none)`,
    });
  }
}

/**
 * A target is named (`name`) or resolved (`ownerOf`), never both; a resolved one must be of a kind the object's
 * controllers can lead to.
 */
export function checkTarget(target: unknown, ctx: Ctx): void {
  if (!isRecord(target)) return;
  checkScope(target, ctx);
  const { name, ownerOf, kind } = target;
  if (name === undefined && ownerOf === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message:
        'is required, or ownerOf to resolve the target through the controllers of the object an alert is about',
    });
    return;
  }
  if (name !== undefined && ownerOf !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['ownerOf'],
      message: 'excludes target.name: a target is either named or resolved through ownerOf',
    });
    return;
  }
  if (!isRecord(ownerOf) || typeof kind !== 'string' || typeof ownerOf.kind !== 'string') return;
  if (!Object.hasOwn(ownerOfTops, ownerOf.kind)) return;
  const tops: readonly string[] = ownerOfTops[ownerOf.kind as OwnerOfKind];
  if (tops.includes(kind)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['kind'],
    message: `the controllers of a ${ownerOf.kind} never lead to a ${kind}: expected ${tops.join(', ')}`,
  });
}

/** A page about an approval wait goes to the policy's notifiers: with none, it would page nobody. */
function checkPaging(policy: Record<string, unknown>, ctx: Ctx): void {
  // Guards arrive parsed (src/policy/schema.ts): `pageAfterMs` is set when the policy wrote a pageAfter.
  if (!isRecord(policy.guards) || typeof policy.guards.pageAfterMs !== 'number') return;
  if (Array.isArray(policy.notify) && policy.notify.length > 0) return;
  ctx.addIssue({
    code: 'custom',
    path: ['guards', 'approval', 'pageAfter'],
    message:
      "pages the policy's notifiers, but the policy names none: add notify: [pagerduty] (or another notifier)",
  });
}

export function checkPolicy(registry: ActionRegistry) {
  return (policy: unknown, ctx: Ctx): void => {
    if (!isRecord(policy)) return;
    checkPaging(policy, ctx);
    const target = isRecord(policy.target) ? policy.target : {};
    const steps = Array.isArray(policy.steps) ? policy.steps : [];
    // A malformed kind is reported by the schema already; comparing it with the actions would only add noise.
    if (typeof target.kind === 'string' && KIND.test(target.kind)) {
      const kind = target.kind;
      steps.forEach((step, i) => {
        const action = actionOf(registry, step);
        if (action === undefined || action.targetKinds.includes('*') || action.targetKinds.includes(kind))
          return;
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'action'],
          message: `${action.kind} does not support target kind ${kind} (it supports ${action.targetKinds.join(', ')})`,
        });
      });
    }
    for (const [i, step] of steps.entries()) checkDesignators(registry, policy.allow, step, i, ctx);
    checkClusterName(policy, target, ctx);
    if (typeof target.namespace !== 'string') return;
    const namespace = compileTemplate(target.namespace);
    if (!namespace.ok) return;
    if (namespace.template.dynamic) {
      if (policy.allow === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['allow'],
          message:
            'is required when target.namespace is a template: list the namespaces an alert may point at',
        });
      }
      return;
    }
    const allowed =
      isRecord(policy.allow) && Array.isArray(policy.allow.namespaces) ? policy.allow.namespaces : null;
    if (allowed !== null && !allowed.includes(target.namespace)) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'namespace'],
        message: `namespace ${JSON.stringify(target.namespace)} is not in allow.namespaces (${allowed.join(', ')})`,
      });
    }
  };
}

/**
 * A cluster-scoped target has no namespace to bound it: when an alert fills its name, the policy lists the
 * names it may choose in allow.names, as for any other designator.
 */
function checkClusterName(policy: Record<string, unknown>, target: Record<string, unknown>, ctx: Ctx): void {
  if (typeof target.kind !== 'string' || !isClusterScopedKind(target.kind)) return;
  if (typeof target.name !== 'string') return;
  const name = compileTemplate(target.name);
  if (!name.ok || !name.template.dynamic) return;
  if (isRecord(policy.allow) && Array.isArray(policy.allow.names)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['target', 'name'],
    message: `names a cluster-scoped ${target.kind} and is filled from the alert: list the names an alert may choose in allow.names, or write the name in the policy`,
  });
}

/**
 * A designator an alert fills (a model, a DAG, a pipeline) needs the `allow` list that bounds it, unless a
 * bounded namespace already does (Kubernetes namespaces and the names of objects in them).
 */
function checkDesignators(
  registry: ActionRegistry,
  allow: unknown,
  step: unknown,
  i: number,
  ctx: Ctx,
): void {
  const action = actionOf(registry, step);
  if (action === undefined || !isRecord(step) || !isRecord(step.with)) return;
  const lists = isRecord(allow) ? allow : {};
  for (const [key, designator] of Object.entries(action.designators ?? {})) {
    const value = step.with[key];
    if (value === undefined || designator.allow === 'namespaces' || designator.within) continue;
    const compiled = compileParams(value);
    if (!compiled.ok || !compiled.dynamic || lists[designator.allow] !== undefined) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['steps', i, 'with', key],
      message: `designates what ${action.kind} acts on and is filled from the alert: list the values an alert may choose in allow.${designator.allow}, or write it in the policy`,
    });
  }
}

/** Policy names are unique within a file; the loader checks across files. */
export function checkFile(file: unknown, ctx: Ctx): void {
  if (!isRecord(file) || !Array.isArray(file.policies)) return;
  const seen = new Map<string, number>();
  file.policies.forEach((policy, i) => {
    if (!isRecord(policy) || typeof policy.name !== 'string') return;
    const first = seen.get(policy.name);
    if (first === undefined) {
      seen.set(policy.name, i);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['policies', i, 'name'],
      message: `duplicate policy name ${JSON.stringify(policy.name)} (first defined at policies[${first}])`,
    });
  });
}
