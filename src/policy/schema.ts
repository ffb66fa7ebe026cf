import { z } from 'zod';
import type { ActionRegistry } from '../actions/registry.js';
import { parseDuration, parseRate } from '../domain/duration.js';
import { dnsLabelRule, dnsSubdomainRule, isDnsLabel, isDnsSubdomain } from '../domain/names.js';
import { ownerOfKinds } from '../kube/owner-chain.js';
import { parseMatcher } from './matchers.js';
import { describeValue } from './problems.js';
import { checkFile, checkPolicy, checkStep, checkTarget, KIND, whenMapping } from './schema-checks.js';
import { compileTemplate, renderWith } from './templates.js';
import type { Guards, Policy, PolicyTarget, StepSpec } from './types.js';

export const API_VERSION = 'salve/v1';

/** A policy as a file defines it; the loader adds where it came from. */
export type PolicyDraft = Omit<Policy, 'source'>;
export type PolicyFile = { apiVersion: typeof API_VERSION; policies: PolicyDraft[] };

const DEFAULT_GUARDS: Guards = {
  cooldownMs: 30 * 60_000,
  maxPerTarget: { count: 3, windowMs: 3_600_000 },
  approval: false,
  pageAfterMs: null,
  dryRun: false,
  autonomy: null,
};

/** `guards.autonomy: {}` asks for these: the ML-operations rule of thumb, 90 % over at least 5 in 30 days. */
export const DEFAULT_AUTONOMY = { minSuccessRate: 0.9, minSamples: 5, windowMs: 30 * 86_400_000 } as const;

// `undefined` falls through to the loader's error map, which says "is required".
const expecting = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? undefined : what;

function duration(minMs: number) {
  return z
    .string({ error: expecting('expected a duration like 30m (a string with a unit)') })
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (!parsed.ok) ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
      else if (parsed.ms < minMs)
        ctx.issues.push({ code: 'custom', message: 'must be longer than 0', input: text });
      else return parsed.ms;
      return z.NEVER;
    });
}

// `off` must be spelled out: an empty YAML value would otherwise silently disable the heal-loop breaker.
const rate = z
  .string({ error: expecting('expected a rate like "3/1h", or "off"') })
  .transform((text, ctx) => {
    if (text === 'off') return null;
    const parsed = parseRate(text);
    if (parsed.ok) return parsed.rate;
    ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
    return z.NEVER;
  });

/**
 * `guards.approval`: `true`, or the approval's settings (which require it too): `{ pageAfter: 20m }` pages the
 * policy's notifiers when nobody has decided that long after the heal began to wait. Null: not required.
 */
const approval = z.preprocess(
  (value) => (value === true ? {} : value === false || value === undefined ? null : value),
  z
    .strictObject(
      { pageAfter: duration(1).optional() },
      {
        error: (issue) =>
          issue.code === 'invalid_type'
            ? `expected true, false or { pageAfter: <duration> }, got ${describeValue(issue.input)}`
            : undefined,
      },
    )
    .nullable(),
);

const matcher = z
  .string({ error: expecting('expected a matcher string like alertname="X"') })
  .transform((text, ctx) => {
    const parsed = parseMatcher(text);
    if (parsed.ok) return parsed.matcher;
    ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
    return z.NEVER;
  });

/** A target name or namespace: a template whose literal parts can still form a valid Kubernetes name. */
function nameTemplate(valid: (s: string) => boolean, rule: string) {
  return z.string({ error: expecting('expected a string') }).superRefine((text, ctx) => {
    const compiled = compileTemplate(text);
    if (!compiled.ok) return ctx.addIssue({ code: 'custom', message: compiled.error, input: text });
    if (valid(renderWith(compiled.template, 'x'))) return;
    const what = compiled.template.dynamic ? 'can never render to' : 'is not';
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} ${what} ${rule}`, input: text });
  });
}

const dnsLabel = z.string().refine(isDnsLabel, { error: `expected ${dnsLabelRule}` });
const dnsSubdomain = z.string().refine(isDnsSubdomain, { error: `expected ${dnsSubdomainRule}` });

/**
 * `allow`: `namespaces` and `names` bound the target; every other list is one the actions declare for their
 * designators (`models` for mlflow.alias's `model`, `dags` for retrain.airflow's `dag`, ...).
 */
function allowSchema(registry: ActionRegistry) {
  const lists: Record<string, z.ZodType<string[] | undefined>> = {
    namespaces: z.array(dnsLabel).min(1).optional(),
    names: z.array(dnsSubdomain).min(1).optional(),
  };
  for (const action of registry.values()) {
    for (const d of Object.values(action.designators ?? {})) {
      lists[d.allow] ??= z
        .array(d.allow === 'namespaces' ? dnsLabel : d.within ? dnsSubdomain : z.string().min(1))
        .min(1)
        .optional();
    }
  }
  return z.strictObject(lists);
}

export function buildPolicyFileSchema(registry: ActionRegistry) {
  const known = [...registry.keys()].sort().join(', ');
  const step = z
    .strictObject({
      action: z.string().refine((kind) => registry.has(kind), {
        error: (issue) => `unknown action ${JSON.stringify(issue.input)}; known actions: ${known}`,
      }),
      with: z.record(z.string(), z.unknown()).prefault({}),
      verify: z
        .strictObject({ rollout: duration(1).optional(), resolved: duration(1).optional() })
        .prefault({}),
    })
    .superRefine(checkStep(registry), { when: whenMapping })
    .transform(
      (s): StepSpec => ({
        action: s.action,
        with: s.with,
        verify: {
          ...(s.verify.rollout === undefined ? {} : { rolloutMs: s.verify.rollout }),
          ...(s.verify.resolved === undefined ? {} : { resolvedMs: s.verify.resolved }),
        },
      }),
    );

  const guards = z
    .strictObject({
      cooldown: duration(0).default(DEFAULT_GUARDS.cooldownMs),
      maxPerTarget: rate.default(DEFAULT_GUARDS.maxPerTarget),
      approval: approval.optional(),
      dryRun: z.boolean().default(DEFAULT_GUARDS.dryRun),
      autonomy: z
        .strictObject({
          minSuccessRate: z
            .number({ error: expecting('expected a share between 0 and 1, like 0.9') })
            .min(0, 'expected a share between 0 and 1, like 0.9')
            .max(1, 'expected a share between 0 and 1, like 0.9')
            .default(DEFAULT_AUTONOMY.minSuccessRate),
          minSamples: z
            .number({ error: expecting('expected a whole number of heals, like 5') })
            .int('expected a whole number of heals, like 5')
            .min(1, 'needs at least 1 sample')
            .default(DEFAULT_AUTONOMY.minSamples),
          window: duration(1).default(DEFAULT_AUTONOMY.windowMs),
        })
        .optional(),
    })
    .prefault({})
    .transform(
      (g): Guards => ({
        cooldownMs: g.cooldown,
        maxPerTarget: g.maxPerTarget,
        approval: (g.approval ?? null) !== null,
        pageAfterMs: g.approval?.pageAfter ?? null,
        dryRun: g.dryRun,
        autonomy: g.autonomy
          ? {
              minSuccessRate: g.autonomy.minSuccessRate,
              minSamples: g.autonomy.minSamples,
              windowMs: g.autonomy.window,
            }
          : null,
      }),
    );

  const policy = z
    .strictObject({
      name: z.string().refine(isDnsLabel, { error: `policy names are ${dnsLabelRule}` }),
      description: z.string().default(''),
      match: z.array(matcher).min(1, 'needs at least one matcher: a policy never matches every alert'),
      on: z.enum(['firing', 'resolved']).default('firing'),
      target: z
        .strictObject({
          kind: z.string().regex(KIND, 'expected a Kubernetes kind such as Deployment'),
          // Required of a namespaced kind, refused on a cluster-scoped one (checkTarget).
          namespace: nameTemplate(isDnsLabel, dnsLabelRule).optional(),
          name: nameTemplate(isDnsSubdomain, dnsSubdomainRule).optional(),
          ownerOf: z
            .strictObject({
              kind: z.enum(ownerOfKinds, {
                error: `expected ${ownerOfKinds.join(', ')}: the kinds whose controllers salve follows`,
              }),
              name: nameTemplate(isDnsSubdomain, dnsSubdomainRule),
            })
            .optional(),
        })
        .superRefine(checkTarget, { when: whenMapping })
        .transform(
          (t): PolicyTarget =>
            t.ownerOf === undefined
              ? {
                  kind: t.kind,
                  ...(t.namespace === undefined ? {} : { namespace: t.namespace }),
                  name: t.name ?? '',
                }
              : { kind: t.kind, namespace: t.namespace ?? '', ownerOf: t.ownerOf },
        ),
      allow: allowSchema(registry).optional(),
      steps: z.array(step).min(1, 'needs at least one step'),
      guards,
      notify: z.array(z.string().min(1)).default([]),
    })
    .superRefine(checkPolicy(registry), { when: whenMapping })
    .transform(
      (p): PolicyDraft => ({
        ...p,
        // A literal namespace allows exactly itself; a templated one has been required to list its own. A
        // cluster-scoped target allows none, unless a step's designator needs the list.
        allow: {
          ...p.allow,
          namespaces: p.allow?.namespaces ?? (p.target.namespace === undefined ? [] : [p.target.namespace]),
        },
      }),
    );

  return z
    .strictObject({
      apiVersion: z.literal(API_VERSION),
      policies: z.array(policy),
    })
    .superRefine(checkFile, { when: whenMapping });
}

export type PolicyFileSchema = ReturnType<typeof buildPolicyFileSchema>;
