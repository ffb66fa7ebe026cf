import { ActionFailed } from '../../errors.js';
import { displayUrl, type HttpEndpoint, send } from '../http/client.js';
import { healRunId } from '../http/names.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, refused, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, RolloutState, TargetRef } from '../types.js';
import { dagPath, dagReply, dagRunPath, dagRunReply, dagRunsPath, withAirflow } from './client.js';
import { type AirflowParams, airflowParams } from './params.js';

/** Airflow's logical date must be timezone-aware: an ISO instant in UTC. */
function logicalDate(ctx: ActionContext): string {
  return ctx.clock.now().toISOString();
}

async function existingRun(ctx: ActionContext, ep: HttpEndpoint, params: AirflowParams, runId: string) {
  const path = dagRunPath(params.version, params.dag, runId);
  const reply = await send(ctx, ep, { method: 'GET', path, accept: [404] });
  return reply.status === 404 ? undefined : (dagRunReply.safeParse(reply.data).data ?? {});
}

/** One request: the engine retries a failed trigger as a whole, and a failed poll polls again. */
async function isPaused(ctx: ActionContext, ep: HttpEndpoint, params: AirflowParams): Promise<boolean> {
  const reply = await send(ctx, ep, { method: 'GET', path: dagPath(params.version, params.dag) });
  return dagReply.safeParse(reply.data).data?.is_paused === true;
}

/**
 * Airflow accepts a run of a paused DAG and leaves it queued until someone unpauses the DAG: a "changed"
 * that heals nothing. Refused, unless the policy says to unpause (which the result then says it did).
 */
async function readyToRun(ctx: ActionContext, ep: HttpEndpoint, params: AirflowParams): Promise<string> {
  if (!(await isPaused(ctx, ep, params))) return '';
  if (!params.unpause) {
    throw refused(
      `Airflow DAG ${params.dag} is paused: a run triggered now would stay queued until someone unpauses it; unpause it in Airflow, or set unpause: true on this step`,
      { dag: params.dag, paused: true },
    );
  }
  await send(ctx, ep, {
    method: 'PATCH',
    path: dagPath(params.version, params.dag),
    query: { update_mask: 'is_paused' },
    body: { is_paused: false },
  });
  return `unpaused DAG ${params.dag}, then `;
}

async function trigger(ctx: ActionContext, ep: HttpEndpoint, params: AirflowParams): Promise<ActionResult> {
  const runId = healRunId(ctx);
  const facts = { dag: params.dag, dagRunId: runId, airflow: displayUrl(params.url) };
  const unpaused = await readyToRun(ctx, ep, params);
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: dagRunsPath(params.version, params.dag),
    body: {
      dag_run_id: runId,
      logical_date: logicalDate(ctx),
      conf: params.conf ?? {},
      note: `salve heal ${ctx.heal.id}, policy ${ctx.heal.policy}, step ${ctx.heal.step}`,
    },
    accept: [409],
  });
  if (reply.status !== 409) {
    const state = dagRunReply.safeParse(reply.data).data?.state;
    return changed(`${unpaused}triggered DAG run ${runId} of DAG ${params.dag}`, {
      ...facts,
      state,
      ...(unpaused ? { unpaused: true } : {}),
    });
  }
  // 409 is a duplicate run id (ours: this step triggered it before, in an earlier attempt whose answer may
  // have been lost, or in a run a crash cut short) or, on Airflow 2, a duplicate logical date (someone else's
  // run in the same instant): only the first is "already done". The second passes: the engine's next attempt
  // comes with a later logical date.
  const existing = await existingRun(ctx, ep, params, runId);
  if (existing !== undefined) {
    return unchanged(
      `DAG run ${runId} of DAG ${params.dag} was already triggered by this heal step (state ${existing.state ?? 'unknown'})`,
      { ...facts, state: existing.state },
    );
  }
  throw new ActionFailed(
    'SALVE_HTTP_REJECTED',
    `Airflow refused DAG run ${runId} of DAG ${params.dag}: another run has the same logical date`,
    { retryable: true, details: { httpStatus: 409 } },
  );
}

const runStates = new Map<string, RolloutState['state']>([
  ['queued', 'waiting'],
  ['running', 'waiting'],
  ['success', 'done'],
  ['failed', 'failed'],
]);

export const retrainAirflow: Action<AirflowParams> = {
  kind: 'retrain.airflow',
  summary:
    'Trigger an Airflow DAG run (one per heal step, run id salve-<heal>-<step>), optionally wait for it',
  params: airflowParams,
  targetKinds: ['*'],
  example: {
    url: 'http://airflow-webserver.airflow:8080',
    dag: 'retrain_fraud',
    auth: { username: 'salve', password: { env: 'AIRFLOW_PASSWORD' } },
    conf: { model: '{{ labels.model }}', reason: 'drift' },
    waitForCompletion: true,
  },
  rbac: [],
  literalParams: httpLiteralParams,
  deprecatedParams: httpDeprecatedParams,
  designators: { dag: { allow: 'dags' } },
  dataParams: {
    version: 'the API version (a literal 2 or 3)',
    unpause: 'whether a paused DAG is unpaused (a boolean)',
    conf: 'data handed to the DAG the policy names',
    waitForCompletion: 'whether verify waits',
  },

  describe(target: TargetRef, params: AirflowParams): string {
    const wait = params.waitForCompletion ? ' and wait for it to finish' : '';
    const unpause = params.unpause ? ' (unpausing the DAG if paused)' : '';
    return `would trigger a run${unpause} of Airflow DAG ${params.dag} at ${displayUrl(params.url)}${wait} (for ${targetLabel(target)})`;
  },

  run(ctx, params) {
    return withAirflow(ctx, params, (ep) => trigger(ctx, ep, params));
  },

  async rolloutStatus(ctx, params) {
    const runId = healRunId(ctx);
    if (!params.waitForCompletion) {
      return {
        state: 'done',
        detail: `triggered DAG run ${runId}; not waiting for it (waitForCompletion off)`,
      };
    }
    return withAirflow(ctx, params, async (ep) => {
      const reply = await send(ctx, ep, {
        method: 'GET',
        path: dagRunPath(params.version, params.dag, runId),
      });
      const state = dagRunReply.safeParse(reply.data).data?.state ?? 'unknown';
      const detail = `DAG run ${runId} of DAG ${params.dag} is ${state}`;
      // Paused while its run waited: it would stay queued until the deadline.
      if (state === 'queued' && (await isPaused(ctx, ep, params))) {
        return { state: 'failed', detail: `${detail}, and the DAG is paused: the run will not start` };
      }
      return { state: runStates.get(state) ?? 'waiting', detail };
    });
  },
};
