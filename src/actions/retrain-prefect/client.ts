import { z } from 'zod';
import { ActionFailed } from '../../errors.js';
import type { SecretRef } from '../../runtime/secrets.js';
import { basicAuth, bearerAuth, describeRef, noAuth, type ResolvedAuth } from '../http/auth.js';
import {
  createEndpoint,
  displayUrl,
  type HttpEndpoint,
  type HttpReply,
  segment,
  send,
} from '../http/client.js';
import type { ActionContext } from '../types.js';
import type { PrefectAuth, PrefectParams } from './params.js';

// Prefect 3's REST API, as its server answers (src/prefect/server/api/deployments.py, flow_runs.py,
// schemas/actions.py, schemas/responses.py, schemas/states.py; see test/support/fake-prefect.ts).

export const deploymentReply = z.object({
  id: z.string().min(1),
  name: z.string().optional(),
  paused: z.boolean().nullish(),
  /** READY while a worker polls the deployment's work pool, NOT_READY otherwise. */
  status: z.string().nullish(),
});
export type PrefectDeployment = z.infer<typeof deploymentReply>;

export const flowRunReply = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  state: z.object({ type: z.string(), name: z.string().nullish(), message: z.string().nullish() }).nullish(),
  state_type: z.string().nullish(),
  state_name: z.string().nullish(),
});
export type PrefectFlowRun = z.infer<typeof flowRunReply>;

/** The run's state as Prefect names it: type (COMPLETED, ...), display name (Late, ...), message. */
export function stateOf(run: PrefectFlowRun) {
  const type = run.state?.type ?? run.state_type ?? 'UNKNOWN';
  return { type, name: run.state?.name ?? run.state_name ?? type, message: run.state?.message ?? null };
}

/** PREFECT_SERVER_API_AUTH_STRING is `user:password`, sent whole as basic auth. */
async function authStringAuth(ctx: ActionContext, ref: SecretRef): Promise<ResolvedAuth> {
  const value = await ctx.secrets.read(ref);
  const encoded = Buffer.from(value).toString('base64');
  const password = value.slice(value.indexOf(':') + 1);
  return {
    headers: { Authorization: `Basic ${encoded}` },
    credential: `the auth string from ${describeRef(ref)}`,
    secrets: [value, encoded, password],
  };
}

async function prefectAuth(ctx: ActionContext, auth: PrefectAuth | undefined): Promise<ResolvedAuth> {
  if (auth === undefined) return noAuth;
  if ('authString' in auth) return authStringAuth(ctx, auth.authString);
  if ('username' in auth) return basicAuth(ctx, auth.username, auth.password);
  const resolved = await bearerAuth(ctx, auth.token);
  return { ...resolved, credential: `the API key from ${describeRef(auth.token)}` };
}

export async function prefectEndpoint(ctx: ActionContext, params: PrefectParams): Promise<HttpEndpoint> {
  return createEndpoint('Prefect', params, await prefectAuth(ctx, params.auth));
}

function unexpected(ep: HttpEndpoint, what: string): ActionFailed {
  return new ActionFailed('SALVE_HTTP_REQUEST_FAILED', `Prefect at ${ep.baseUrl} answered ${what}`, {
    retryable: false,
  });
}

const detailOf = (reply: HttpReply) =>
  typeof reply.data === 'object' && reply.data !== null
    ? (reply.data as { detail?: unknown }).detail
    : undefined;

/**
 * The deployment `flow/deployment`. A 404 from a route Prefect does not have ("Not Found") is a wrong base URL,
 * not a missing deployment.
 */
export async function readDeployment(
  ctx: ActionContext,
  ep: HttpEndpoint,
  ref: string,
): Promise<PrefectDeployment> {
  const [flow = '', name = ''] = ref.split('/');
  const path = `/deployments/name/${segment(flow)}/${segment(name)}`;
  const reply = await send(ctx, ep, { method: 'GET', path, accept: [404] });
  if (reply.status === 404) {
    const said = detailOf(reply);
    const message =
      said === 'Deployment not found'
        ? `Prefect at ${ep.baseUrl} has no deployment ${ref} (flow ${flow}, deployment ${name})`
        : `nothing at ${ep.baseUrl}${path} answers like Prefect's API (HTTP 404${typeof said === 'string' ? `: ${said}` : ''}): url is the API's base, http://HOST:4200/api or https://api.prefect.cloud/api/accounts/<id>/workspaces/<id>`;
    throw new ActionFailed('SALVE_HTTP_NOT_FOUND', message, {
      retryable: false,
      details: { httpStatus: 404, deployment: ref, prefect: displayUrl(ep.baseUrl) },
    });
  }
  const parsed = deploymentReply.safeParse(reply.data);
  if (!parsed.success) throw unexpected(ep, `deployment ${ref} without an id`);
  return parsed.data;
}

export type FlowRunCreate = {
  name: string;
  idempotency_key: string;
  parameters: Record<string, unknown>;
  tags: string[];
};

/**
 * Creates the flow run, or finds the one created earlier with the same idempotency key (Prefect answers 200
 * with it, unchanged, where a new run is a 201).
 */
export async function createFlowRun(
  ctx: ActionContext,
  ep: HttpEndpoint,
  deploymentId: string,
  body: FlowRunCreate,
): Promise<{ created: boolean; run: PrefectFlowRun }> {
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: `/deployments/${segment(deploymentId)}/create_flow_run`,
    body,
  });
  const parsed = flowRunReply.safeParse(reply.data);
  if (!parsed.success) throw unexpected(ep, 'a created flow run without an id');
  return { created: reply.status === 201, run: parsed.data };
}

/** The deployment's run with this idempotency key, if any. */
export async function findFlowRun(
  ctx: ActionContext,
  ep: HttpEndpoint,
  deploymentId: string,
  key: string,
): Promise<PrefectFlowRun | undefined> {
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: '/flow_runs/filter',
    body: {
      flow_runs: { idempotency_key: { any_: [key] }, deployment_id: { any_: [deploymentId] } },
      limit: 1,
    },
  });
  const parsed = z.array(flowRunReply).safeParse(reply.data);
  if (!parsed.success) throw unexpected(ep, 'a flow run filter with something other than a list of runs');
  return parsed.data[0];
}
