import { displayUrl, type HttpEndpoint } from '../http/client.js';
import { healRunId } from '../http/names.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, RolloutState, TargetRef } from '../types.js';
import { createFlowRun, findFlowRun, prefectEndpoint, readDeployment, stateOf } from './client.js';
import { type PrefectParams, prefectParams } from './params.js';

const MAX_MESSAGE = 300;

/**
 * Looks the deployment up, then creates the step's flow run under its idempotency key. Each request is sent
 * once: a failure fails the attempt, and the engine tries the step again. Prefect returns the run an earlier
 * attempt created (its answer lost, or a crash cut the attempt short) instead of a second one.
 */
async function create(ctx: ActionContext, ep: HttpEndpoint, params: PrefectParams): Promise<ActionResult> {
  const key = healRunId(ctx);
  const deployment = await readDeployment(ctx, ep, params.deployment);
  const { created, run } = await createFlowRun(ctx, ep, deployment.id, {
    name: key,
    idempotency_key: key,
    parameters: params.parameters ?? {},
    tags: [...new Set(['salve', ...(params.tags ?? [])])],
  });
  const state = stateOf(run);
  const facts = {
    deployment: params.deployment,
    deploymentId: deployment.id,
    flowRunId: run.id,
    flowRun: run.name ?? key,
    idempotencyKey: key,
    state: state.type,
    prefect: displayUrl(params.url),
    // A paused deployment only stops its schedules (Prefect's scheduler service): this run still runs.
    ...(deployment.paused ? { deploymentPaused: true } : {}),
  };
  const what = `flow run ${facts.flowRun} (${run.id}) of deployment ${params.deployment}`;
  if (created) return changed(`created ${what}`, facts);
  return unchanged(`${what} was already created by this heal step (${state.name})`, facts);
}

const terminal: Readonly<Record<string, RolloutState['state']>> = {
  COMPLETED: 'done',
  FAILED: 'failed',
  CRASHED: 'failed',
  CANCELLED: 'failed',
};

const clip = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}...` : text);

export const retrainPrefect: Action<PrefectParams> = {
  kind: 'retrain.prefect',
  summary:
    'Create a Prefect flow run of a deployment (one per heal step, by idempotency key), optionally wait for it',
  params: prefectParams,
  targetKinds: ['*'],
  example: {
    url: 'http://prefect-server.prefect:4200/api',
    deployment: 'retrain-fraud/nightly',
    parameters: { model: '{{ labels.model }}', reason: 'drift' },
    auth: { authString: { env: 'PREFECT_API_AUTH_STRING' } },
    waitForCompletion: true,
  },
  rbac: [],
  literalParams: httpLiteralParams,
  deprecatedParams: httpDeprecatedParams,
  designators: { deployment: { allow: 'deployments' } },
  dataParams: {
    parameters: 'data handed to the deployment the policy names',
    tags: 'labels on the flow run salve creates',
    waitForCompletion: 'whether verify waits',
  },

  describe(target: TargetRef, params: PrefectParams): string {
    const wait = params.waitForCompletion ? ' and wait for it to finish' : '';
    return `would create a flow run of Prefect deployment ${params.deployment} at ${displayUrl(params.url)}${wait} (for ${targetLabel(target)})`;
  },

  async run(ctx, params) {
    return create(ctx, await prefectEndpoint(ctx, params), params);
  },

  async rolloutStatus(ctx, params) {
    const key = healRunId(ctx);
    if (!params.waitForCompletion) {
      return { state: 'done', detail: `created flow run ${key}; not waiting for it (waitForCompletion off)` };
    }
    const ep = await prefectEndpoint(ctx, params);
    const deployment = await readDeployment(ctx, ep, params.deployment);
    const run = await findFlowRun(ctx, ep, deployment.id, key);
    if (run === undefined) {
      return {
        state: 'failed',
        detail: `Prefect has no flow run with idempotency key ${key} for deployment ${params.deployment}: it was deleted`,
      };
    }
    const state = stateOf(run);
    const said = state.message ? `: ${clip(state.message)}` : '';
    const detail = `flow run ${run.name ?? key} of deployment ${params.deployment} is ${state.name} (${state.type})${said}`;
    const outcome = terminal[state.type];
    if (outcome !== undefined) return { state: outcome, detail };
    // Without a worker polling its pool, a scheduled run never starts: say so while waiting for the deadline.
    if ((state.type === 'SCHEDULED' || state.type === 'PENDING') && deployment.status === 'NOT_READY') {
      return {
        state: 'waiting',
        detail: `${detail}; the deployment is NOT_READY: no worker polls its work pool, so the run will not start until one does`,
      };
    }
    return { state: 'waiting', detail };
  },
};
