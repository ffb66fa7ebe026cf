import type { SecretRef } from '../../runtime/secrets.js';
import type { ActionContext } from '../types.js';
import type { Auth } from './params.js';

/** Headers that carry a credential, where that credential came from, and the values to keep out of text. */
export type ResolvedAuth = {
  headers: Record<string, string>;
  /** "the token from environment variable MLFLOW_TOKEN": what a 401 message names instead of the value. */
  credential: string | undefined;
  /** Every secret value in play; any text salve builds from a peer's answer is scrubbed of them. */
  secrets: string[];
};

export const noAuth: ResolvedAuth = { headers: {}, credential: undefined, secrets: [] };

export function describeRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

export async function bearerAuth(ctx: ActionContext, ref: SecretRef | undefined): Promise<ResolvedAuth> {
  if (ref === undefined) return noAuth;
  const token = await ctx.secrets.read(ref);
  return {
    headers: { Authorization: `Bearer ${token}` },
    credential: `the token from ${describeRef(ref)}`,
    secrets: [token],
  };
}

export async function basicAuth(ctx: ActionContext, username: string, ref: SecretRef): Promise<ResolvedAuth> {
  const password = await ctx.secrets.read(ref);
  const encoded = Buffer.from(`${username}:${password}`).toString('base64');
  return {
    headers: { Authorization: `Basic ${encoded}` },
    credential: `user ${username} with the password from ${describeRef(ref)}`,
    secrets: [password, encoded],
  };
}

/** Basic auth or a bearer token, as the `auth:` block says; no block means no Authorization header. */
export function resolveAuth(ctx: ActionContext, auth: Auth | undefined): Promise<ResolvedAuth> {
  if (auth === undefined) return Promise.resolve(noAuth);
  return 'token' in auth ? bearerAuth(ctx, auth.token) : basicAuth(ctx, auth.username, auth.password);
}

/** Replaces every secret value in `text`: peers sometimes echo what they were sent. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== '') out = out.split(secret).join('[redacted]');
  }
  return out;
}
