import { z } from 'zod';
import { ActionFailed } from '../errors.js';
import { describeRef, noAuth, resolveAuth } from './http-auth.js';
import { createEndpoint, type HttpEndpoint, request, segment } from './http-client.js';
import type { Auth, BasicAuth, HttpFields } from './http-params.js';
import type { ActionContext } from './types.js';

// Airflow's REST API in its two living versions: /api/v1 with basic auth (2.x), /api/v2 with a JWT from
// /auth/token (3.x).

export type AirflowVersion = 2 | 3;

export type AirflowConnection = HttpFields & { version: AirflowVersion; auth?: Auth | undefined };

export function dagRunsPath(version: AirflowVersion, dag: string): string {
  return `/api/v${version - 1}/dags/${segment(dag)}/dagRuns`;
}

export function dagRunPath(version: AirflowVersion, dag: string, runId: string): string {
  return `${dagRunsPath(version, dag)}/${segment(runId)}`;
}

const tokenReply = z.object({ access_token: z.string().min(1) });

/** Airflow 3 takes no basic auth on its API: trade the username and password for a token first. */
async function airflow3Endpoint(
  ctx: ActionContext,
  conn: AirflowConnection,
  auth: BasicAuth,
): Promise<HttpEndpoint> {
  const password = await ctx.secrets.read(auth.password);
  const passwordFrom = `user ${auth.username} with the password from ${describeRef(auth.password)}`;
  const issuer = createEndpoint('Airflow', conn, {
    ...noAuth,
    credential: passwordFrom,
    secrets: [password],
  });
  const reply = await request(ctx, issuer, {
    method: 'POST',
    path: '/auth/token',
    body: { username: auth.username, password },
  });
  const parsed = tokenReply.safeParse(reply.data);
  if (!parsed.success) {
    throw new ActionFailed(
      'SALVE_HTTP_REQUEST_FAILED',
      `Airflow POST ${issuer.baseUrl}/auth/token answered without an access_token (for Airflow 2, set version: 2)`,
      { retryable: false },
    );
  }
  const token = parsed.data.access_token;
  return createEndpoint('Airflow', conn, {
    headers: { Authorization: `Bearer ${token}` },
    credential: `the token issued to ${passwordFrom}`,
    secrets: [password, token],
  });
}

/** The endpoint with the credentials this Airflow version expects. */
export async function airflowEndpoint(ctx: ActionContext, conn: AirflowConnection): Promise<HttpEndpoint> {
  if (conn.version === 3 && conn.auth !== undefined && !('token' in conn.auth)) {
    return airflow3Endpoint(ctx, conn, conn.auth);
  }
  return createEndpoint('Airflow', conn, await resolveAuth(ctx, conn.auth));
}

export const dagRunReply = z.object({ dag_run_id: z.string().optional(), state: z.string().optional() });
