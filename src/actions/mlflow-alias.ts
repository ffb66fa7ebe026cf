import { z } from 'zod';
import { resolveAuth } from './http-auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint } from './http-client.js';
import { getRegisteredModel, listVersions, setAlias, setModelTag } from './http-mlflow.js';
import { authSchema, httpFields, httpLiteralParams, positiveIntSchema } from './http-params.js';
import { changed, healMark, refused, targetLabel, unchanged } from './k8s-target.js';
import type { Action, ActionContext, ActionResult, TargetRef } from './types.js';

export const mlflowAliasParams = z.strictObject({
  ...httpFields,
  model: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^'"\\]+$/, 'expected a registered model name without quotes or backslashes')
    .describe('the registered model'),
  alias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected an MLflow alias (letters, digits, _ and -)')
    .refine((a) => a !== 'latest' && !/^v\d+$/i.test(a), { error: 'MLflow reserves latest and v<N>' })
    .default('champion')
    .describe('the alias to move; default champion'),
  toVersion: positiveIntSchema
    .optional()
    .describe('the version to move the alias to; default: the newest READY version older than the current'),
  auth: authSchema.optional(),
});
export type MlflowAliasParams = z.infer<typeof mlflowAliasParams>;

/**
 * A registered-model tag `salve.heal/<alias>` = `<healId>/<step>:<from>-><to>` written before the alias
 * moves, and again with ` done` after. A re-run of the same step (after a crash, a lost answer, a retry)
 * reads it and never moves the alias a second time, though "the previous version" would by then mean
 * another one; and a move that someone reverted after the step finished stays reverted.
 */
const tagKey = (alias: string) => `salve.heal/${alias}`;
type Plan = { mark: string; from: number | undefined; to: number; done: boolean };

function parsePlan(value: string | undefined): Plan | undefined {
  const m = value === undefined ? null : /^(.+):(\d+|none)->(\d+)( done)?$/.exec(value);
  if (m === null) return undefined;
  const from = m[2] === 'none' ? undefined : Number(m[2]);
  return { mark: m[1]!, from, to: Number(m[3]), done: m[4] !== undefined };
}

const formatPlan = (p: Plan) => `${p.mark}:${p.from ?? 'none'}->${p.to}${p.done ? ' done' : ''}`;

function facts(params: MlflowAliasParams, from: number | undefined, to: number) {
  const { model, alias } = params;
  return { model, alias, fromVersion: from ?? null, toVersion: to, mlflow: displayUrl(params.url) };
}

async function targetVersion(
  ctx: ActionContext,
  ep: HttpEndpoint,
  params: MlflowAliasParams,
  current: number | undefined,
): Promise<number> {
  const { model, alias } = params;
  const versions = await listVersions(ctx, ep, model);
  if (params.toVersion !== undefined) {
    const to = Number(params.toVersion);
    const found = versions.find((v) => v.version === to);
    if (found === undefined)
      throw refused(`MLflow model ${model} has no version ${to}`, { model, toVersion: to });
    if (found.status !== 'READY') {
      throw refused(`version ${to} of MLflow model ${model} is ${found.status}, not READY`, {
        model,
        toVersion: to,
      });
    }
    return to;
  }
  if (current === undefined) {
    throw refused(`MLflow model ${model} has no alias ${alias} to roll back; set with.toVersion`, {
      model,
      alias,
    });
  }
  const older = versions.filter((v) => v.status === 'READY' && v.version < current).map((v) => v.version);
  if (older.length === 0) {
    throw refused(`MLflow model ${model} has no READY version older than ${current} (alias ${alias})`, {
      model,
      alias,
      fromVersion: current,
    });
  }
  return Math.max(...older);
}

async function move(ctx: ActionContext, ep: HttpEndpoint, params: MlflowAliasParams, plan: Plan) {
  const { model, alias } = params;
  await setModelTag(ctx, ep, model, tagKey(alias), formatPlan(plan));
  await setAlias(ctx, ep, model, alias, plan.to);
  await setModelTag(ctx, ep, model, tagKey(alias), formatPlan({ ...plan, done: true }));
  const detail = `moved alias ${alias} of ${model} from version ${plan.from ?? 'none'} to ${plan.to}`;
  return changed(detail, facts(params, plan.from, plan.to));
}

/** The same heal step ran before: finish its plan if it stopped short, otherwise leave the alias be. */
async function resume(
  ctx: ActionContext,
  ep: HttpEndpoint,
  params: MlflowAliasParams,
  plan: Plan,
  current: number | undefined,
): Promise<ActionResult> {
  const { model, alias } = params;
  const planned = `${plan.from ?? 'none'} -> ${plan.to}`;
  if (current === plan.to) {
    const detail = `alias ${alias} of ${model} already moved by this heal step (version ${planned})`;
    return unchanged(detail, facts(params, plan.from, plan.to));
  }
  if (plan.done || current !== plan.from) {
    // Someone moved the alias after this step did (or planned to): theirs is the newer decision.
    const detail = `alias ${alias} of ${model} is at version ${current ?? 'none'}, moved since this heal step's ${planned}; leaving it`;
    return unchanged(detail, { ...facts(params, plan.from, plan.to), currentVersion: current ?? null });
  }
  return move(ctx, ep, params, plan);
}

async function rollBack(
  ctx: ActionContext,
  ep: HttpEndpoint,
  params: MlflowAliasParams,
): Promise<ActionResult> {
  const { model, alias } = params;
  const registered = await getRegisteredModel(ctx, ep, model);
  const current = registered.aliases.get(alias);
  const mark = healMark(ctx);
  const recorded = parsePlan(registered.tags.get(tagKey(alias)));
  if (recorded?.mark === mark) return resume(ctx, ep, params, recorded, current);
  const to = await targetVersion(ctx, ep, params, current);
  if (current === to) {
    return unchanged(
      `alias ${alias} of ${model} already points at version ${to}`,
      facts(params, current, to),
    );
  }
  return move(ctx, ep, params, { mark, from: current, to, done: false });
}

export const mlflowAlias: Action<MlflowAliasParams> = {
  kind: 'mlflow.alias',
  summary:
    'Move an MLflow registered-model alias (champion) back to the previous READY version, or to a given one',
  params: mlflowAliasParams,
  targetKinds: ['*'],
  example: {
    url: 'http://mlflow.mlflow:5000',
    model: '{{ labels.model }}',
    alias: 'champion',
    auth: { token: { env: 'MLFLOW_TRACKING_TOKEN' } },
  },
  rbac: [],
  literalParams: httpLiteralParams,
  designators: {
    model: { allow: 'models' },
    alias: { allow: 'aliases' },
    toVersion: { allow: 'modelVersions' },
  },

  describe(target: TargetRef, params: MlflowAliasParams): string {
    const to = params.toVersion === undefined ? 'the previous READY version' : `version ${params.toVersion}`;
    return `would move alias ${params.alias} of MLflow model ${params.model} at ${displayUrl(params.url)} to ${to} (for ${targetLabel(target)})`;
  },

  async run(ctx, params) {
    const ep = createEndpoint('MLflow', params, await resolveAuth(ctx, params.auth));
    return rollBack(ctx, ep, params);
  },
};
