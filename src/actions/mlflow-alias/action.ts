import { resolveAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint } from '../http/client.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, healMark, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { chooseVersion, type VersionChoice } from './choice.js';
import { getRegisteredModel, listVersions, setAlias, setModelTag, setVersionTag } from './client.js';
import { type MlflowAliasParams, mlflowAliasParams } from './params.js';

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

/** Version tags naming the heal that moved the alias to (and away from) a version: traceable in MLflow. */
export const versionTagKeys = {
  movedTo: (alias: string) => `salve.moved_to/${alias}`,
  movedFrom: (alias: string) => `salve.moved_from/${alias}`,
};

async function tagVersions(ctx: ActionContext, ep: HttpEndpoint, params: MlflowAliasParams, plan: Plan) {
  const { model, alias } = params;
  // Deterministic values: a re-run writes the same tags again, which MLflow takes as a no-op.
  const value = `heal ${ctx.heal.id} step ${ctx.heal.step}: ${alias} ${plan.from ?? 'none'} -> ${plan.to}`;
  await setVersionTag(ctx, ep, model, plan.to, versionTagKeys.movedTo(alias), value);
  if (plan.from !== undefined) {
    await setVersionTag(ctx, ep, model, plan.from, versionTagKeys.movedFrom(alias), value);
  }
}

/** After the alias moved: the version tags, then the plan marked done. */
async function complete(ctx: ActionContext, ep: HttpEndpoint, params: MlflowAliasParams, plan: Plan) {
  await tagVersions(ctx, ep, params, plan);
  await setModelTag(ctx, ep, params.model, tagKey(params.alias), formatPlan({ ...plan, done: true }));
}

function moved(params: MlflowAliasParams, plan: Plan, choice: VersionChoice | undefined, suffix = '') {
  const { model, alias } = params;
  const detail = `moved alias ${alias} of ${model} from version ${plan.from ?? 'none'} to ${plan.to}${suffix}`;
  const data: Record<string, unknown> = facts(params, plan.from, plan.to);
  if (choice !== undefined) data.why = choice.why;
  if (choice !== undefined && choice.passedOver.length > 0) data.passedOver = choice.passedOver;
  return changed(choice ? `${detail}: ${choice.why}` : detail, data);
}

async function move(
  ctx: ActionContext,
  ep: HttpEndpoint,
  params: MlflowAliasParams,
  plan: Plan,
  choice: VersionChoice | undefined,
) {
  const { model, alias } = params;
  await setModelTag(ctx, ep, model, tagKey(alias), formatPlan(plan));
  await setAlias(ctx, ep, model, alias, plan.to);
  await complete(ctx, ep, params, plan);
  return moved(params, plan, choice);
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
  if (current === plan.to && plan.done) {
    const detail = `alias ${alias} of ${model} already moved by this heal step (version ${planned})`;
    return unchanged(detail, facts(params, plan.from, plan.to));
  }
  if (current === plan.to) {
    // Moved, but the answer or the bookkeeping after it was lost: finish the bookkeeping.
    await complete(ctx, ep, params, plan);
    return moved(params, plan, undefined, ' (completed on retry)');
  }
  if (plan.done || current !== plan.from) {
    // Someone moved the alias after this step did (or planned to): theirs is the newer decision.
    const detail = `alias ${alias} of ${model} is at version ${current ?? 'none'}, moved since this heal step's ${planned}; leaving it`;
    return unchanged(detail, { ...facts(params, plan.from, plan.to), currentVersion: current ?? null });
  }
  return move(ctx, ep, params, plan, undefined);
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
  const choice = chooseVersion(await listVersions(ctx, ep, model), current, {
    model,
    alias,
    toVersion: params.toVersion === undefined ? undefined : Number(params.toVersion),
    requireTags: params.requireTags,
  });
  if (current === choice.to) {
    return unchanged(
      `alias ${alias} of ${model} already points at version ${choice.to}`,
      facts(params, current, choice.to),
    );
  }
  return move(ctx, ep, params, { mark, from: current, to: choice.to, done: false }, choice);
}

export const mlflowAlias: Action<MlflowAliasParams> = {
  kind: 'mlflow.alias',
  summary:
    'Move an MLflow registered-model alias (champion) back to the newest older READY version (optionally only versions carrying given tags), or to a given one; tags the versions moved to and from with the heal',
  params: mlflowAliasParams,
  targetKinds: ['*'],
  example: {
    url: 'http://mlflow.mlflow:5000',
    model: '{{ labels.model }}',
    alias: 'champion',
    requireTags: { validation_status: 'passed' },
    auth: { token: { env: 'MLFLOW_TRACKING_TOKEN' } },
  },
  rbac: [],
  // The tags a version must carry decide which version the alias may move to: the policy's, never an alert's.
  literalParams: [...httpLiteralParams, 'requireTags'],
  deprecatedParams: httpDeprecatedParams,
  designators: {
    model: { allow: 'models' },
    alias: { allow: 'aliases' },
    toVersion: { allow: 'modelVersions' },
  },

  describe(target: TargetRef, params: MlflowAliasParams): string {
    const tags = Object.entries(params.requireTags ?? {}).map(([k, v]) => `${k}=${v}`);
    const known = tags.length > 0 ? ` tagged ${tags.join(', ')}` : '';
    const to =
      params.toVersion === undefined
        ? `the newest older READY version${known}`
        : `version ${params.toVersion}`;
    return `would move alias ${params.alias} of MLflow model ${params.model} at ${displayUrl(params.url)} to ${to} (for ${targetLabel(target)})`;
  },

  async run(ctx, params) {
    const ep = createEndpoint('MLflow', params, await resolveAuth(ctx, params.auth));
    return rollBack(ctx, ep, params);
  },
};
