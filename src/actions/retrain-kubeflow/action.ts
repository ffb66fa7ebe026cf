import { z } from 'zod';
import { bearerAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint, send } from '../http/client.js';
import { healRunId } from '../http/names.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { type KubeflowParams, kubeflowParams } from './params.js';

const runList = z.object({
  runs: z.array(z.object({ run_id: z.string(), state: z.string().optional() })).default([]),
});
const createdRun = z.object({ run_id: z.string().optional(), state: z.string().optional() });

async function findRun(ctx: ActionContext, ep: HttpEndpoint, params: KubeflowParams, displayName: string) {
  const filter = { predicates: [{ key: 'display_name', operation: 'EQUALS', string_value: displayName }] };
  const reply = await send(ctx, ep, {
    method: 'GET',
    path: '/apis/v2beta1/runs',
    query: {
      filter: JSON.stringify(filter),
      page_size: 1,
      namespace: params.namespace,
      experiment_id: params.experimentId,
    },
  });
  // Protobuf JSON leaves out an empty list: `{}` is "no runs".
  return runList.safeParse(reply.data).data?.runs[0];
}

/**
 * Kubeflow has no unique run name, so a create is not idempotent by itself: every attempt looks for the
 * step's run by display name first, and only creates when there is none.
 */
async function start(ctx: ActionContext, ep: HttpEndpoint, params: KubeflowParams) {
  const displayName = healRunId(ctx);
  const facts = { displayName, pipelineId: params.pipelineId, kubeflow: displayUrl(params.url) };
  const existing = await findRun(ctx, ep, params, displayName);
  if (existing !== undefined) {
    const data = { ...facts, runId: existing.run_id, state: existing.state };
    // This step's own run, from an earlier attempt (whose answer may have been lost) or a run a crash cut short.
    return unchanged(
      `Kubeflow run ${displayName} already exists for this heal step (${existing.state ?? 'state unknown'})`,
      data,
    );
  }
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: '/apis/v2beta1/runs',
    body: {
      display_name: displayName,
      description: `salve heal ${ctx.heal.id}, policy ${ctx.heal.policy}, step ${ctx.heal.step}`,
      ...(params.experimentId === undefined ? {} : { experiment_id: params.experimentId }),
      pipeline_version_reference: {
        pipeline_id: params.pipelineId,
        ...(params.pipelineVersionId === undefined ? {} : { pipeline_version_id: params.pipelineVersionId }),
      },
      runtime_config: { parameters: params.parameters ?? {} },
    },
  });
  const run = createdRun.safeParse(reply.data).data;
  return changed(`started Kubeflow run ${displayName} of pipeline ${params.pipelineId}`, {
    ...facts,
    runId: run?.run_id,
    state: run?.state,
  });
}

export const retrainKubeflow: Action<KubeflowParams> = {
  kind: 'retrain.kubeflow',
  summary: 'Start a Kubeflow Pipelines run named after the heal step (looked up first: one per heal step)',
  params: kubeflowParams,
  targetKinds: ['*'],
  example: {
    url: 'http://ml-pipeline.kubeflow:8888',
    pipelineId: 'retrain-pipeline',
    parameters: { model: '{{ labels.model }}' },
    token: { file: '/var/run/secrets/kubeflow/token' },
  },
  rbac: [],
  literalParams: httpLiteralParams,
  deprecatedParams: httpDeprecatedParams,
  designators: {
    namespace: { allow: 'namespaces' },
    pipelineId: { allow: 'pipelines' },
    pipelineVersionId: { allow: 'pipelineVersions' },
    experimentId: { allow: 'experiments' },
  },
  dataParams: { parameters: 'data handed to the pipeline the policy names' },

  describe(target: TargetRef, params: KubeflowParams): string {
    return `would start a run of Kubeflow pipeline ${params.pipelineId} at ${displayUrl(params.url)} (for ${targetLabel(target)})`;
  },

  async run(ctx, params): Promise<ActionResult> {
    const ep = createEndpoint('Kubeflow', params, await bearerAuth(ctx, params.token));
    return start(ctx, ep, params);
  },
};
