import { z } from 'zod';
import { ActionFailed } from '../../errors.js';
import { describeRef, noAuth, resolveAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint, segment, send } from '../http/client.js';
import type { Auth, BasicAuth, HttpFields } from '../http/params.js';
import type { ActionContext } from '../types.js';
import { jwtExpiry, tokenKey } from './token-cache.js';

// Airflow's REST API in its two living versions: /api/v1 with basic auth (2.x), /api/v2 with a JWT from
// /auth/token (3.x). Checked against Airflow's own sources: a paused DAG accepts a triggered run and leaves it
// queued; /auth/token answers {access_token} (a JWT whose `exp` is [api_auth] jwt_expiration_time away);
// /api/v{1,2}/version answers without credentials.

export type AirflowVersion = 2 | 3;

export type AirflowConnection = HttpFields & { version: AirflowVersion; auth?: Auth | undefined };

const apiOf = (version: AirflowVersion) => `/api/v${version - 1}`;

export function dagPath(version: AirflowVersion, dag: string): string {
  return `${apiOf(version)}/dags/${segment(dag)}`;
}

export function dagRunsPath(version: AirflowVersion, dag: string): string {
  return `${dagPath(version, dag)}/dagRuns`;
}

export function dagRunPath(version: AirflowVersion, dag: string, runId: string): string {
  return `${dagRunsPath(version, dag)}/${segment(runId)}`;
}

const tokenReply = z.object({ access_token: z.string().min(1) });
const versionReply = z.object({ version: z.string() });

const httpStatusOf = (err: unknown) =>
  err instanceof ActionFailed ? (err.details?.httpStatus as number | undefined) : undefined;

/** Airflow 3 takes no basic auth on its API: trade the username and password for a token. */
async function login(ctx: ActionContext, conn: AirflowConnection, auth: BasicAuth, password: string) {
  const passwordFrom = `user ${auth.username} with the password from ${describeRef(auth.password)}`;
  const issuer = createEndpoint('Airflow', conn, {
    ...noAuth,
    credential: passwordFrom,
    secrets: [password],
  });
  const reply = await send(ctx, issuer, {
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
  return parsed.data.access_token;
}

function bearer(conn: AirflowConnection, auth: BasicAuth, password: string, token: string): HttpEndpoint {
  return createEndpoint('Airflow', conn, {
    headers: { Authorization: `Bearer ${token}` },
    credential: `the token issued to user ${auth.username} (password from ${describeRef(auth.password)})`,
    secrets: [password, token],
  });
}

/**
 * Airflow 3: the token cached for this (Airflow, user, password) while it lives, else a login. A cached token
 * Airflow refuses (expired early, its secret key rotated) costs one login more, never a loop.
 */
async function withToken<T>(
  ctx: ActionContext,
  conn: AirflowConnection,
  auth: BasicAuth,
  use: (ep: HttpEndpoint) => Promise<T>,
): Promise<T> {
  const password = await ctx.secrets.read(auth.password);
  const key = tokenKey('airflow', conn.url, auth.username, password);
  const cached = ctx.tokens.get(key);
  if (cached !== undefined) {
    try {
      return await use(bearer(conn, auth, password, cached));
    } catch (err) {
      if (httpStatusOf(err) !== 401) throw err;
      ctx.tokens.forget(key, cached);
      ctx.log.info({ airflow: displayUrl(conn.url) }, 'Airflow refused the cached token; logging in again');
    }
  }
  const token = await login(ctx, conn, auth, password);
  ctx.tokens.put(key, token, jwtExpiry(token));
  return use(bearer(conn, auth, password, token));
}

/** Which API the Airflow at this URL serves, asked without credentials; undefined when neither answers. */
async function servedVersion(ctx: ActionContext, conn: AirflowConnection) {
  const ep = createEndpoint('Airflow', conn, noAuth);
  for (const version of [3, 2] as const) {
    try {
      const reply = await send(ctx, ep, { method: 'GET', path: `${apiOf(version)}/version` });
      const parsed = versionReply.safeParse(reply.data);
      if (parsed.success) return { version, release: parsed.data.version };
    } catch {
      // Not this one (404), or not reachable: try the other.
    }
  }
  return undefined;
}

/** A bare 404/405 from the wrong API version becomes the version to set, when Airflow says which it is. */
async function explainVersion(ctx: ActionContext, conn: AirflowConnection, err: unknown): Promise<unknown> {
  const status = httpStatusOf(err);
  if (status !== 404 && status !== 405) return err;
  const served = await servedVersion(ctx, conn);
  if (served === undefined || served.version === conn.version) return err;
  return new ActionFailed(
    'SALVE_HTTP_REJECTED',
    `Airflow at ${displayUrl(conn.url)} is Airflow ${served.release}, whose API is ${apiOf(served.version)}: this step says version: ${conn.version} (${apiOf(conn.version)}); set version: ${served.version}`,
    { retryable: false, cause: err, details: { httpStatus: status, airflow: served.release } },
  );
}

/**
 * Runs `use` against Airflow with the credentials its version expects. `use` is the whole unit of work: on
 * a refused cached token it runs again with a fresh one, so it must be safe to repeat (the trigger is: its
 * run id is deterministic).
 */
export async function withAirflow<T>(
  ctx: ActionContext,
  conn: AirflowConnection,
  use: (ep: HttpEndpoint) => Promise<T>,
): Promise<T> {
  try {
    if (conn.version === 3 && conn.auth !== undefined && !('token' in conn.auth)) {
      return await withToken(ctx, conn, conn.auth, use);
    }
    return await use(createEndpoint('Airflow', conn, await resolveAuth(ctx, conn.auth)));
  } catch (err) {
    throw await explainVersion(ctx, conn, err);
  }
}

export const dagRunReply = z.object({ dag_run_id: z.string().optional(), state: z.string().optional() });
export const dagReply = z.object({ dag_id: z.string().optional(), is_paused: z.boolean().nullish() });
