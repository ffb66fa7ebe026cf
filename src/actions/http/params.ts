import { z } from 'zod';
import { parseDuration } from '../../domain/duration.js';
import { dnsLabelRule, dnsSubdomainRule, isDnsLabel, isDnsSubdomain } from '../../domain/names.js';

// `with:` building blocks shared by the HTTP actions. They validate without transforming, so the parsed
// block is the block the policy wrote (the engine stores it and parses it again on every phase).

/** A credential is named, never written: an environment variable or a mounted file holds its value. */
export const secretRefSchema = z
  .union([
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
    }),
    z.strictObject({ file: z.string().regex(/^\//, 'expected an absolute file path') }),
  ])
  .describe('where the credential is read from: { env: NAME } or { file: /path }; never the value itself');

export const basicAuthSchema = z.strictObject({
  username: z.string().min(1),
  password: secretRefSchema,
});

export const tokenAuthSchema = z.strictObject({ token: secretRefSchema });

export const authSchema = z
  .union([basicAuthSchema, tokenAuthSchema])
  .describe('{ username, password: SecretRef } for basic auth, or { token: SecretRef } for a bearer token');

export type BasicAuth = z.infer<typeof basicAuthSchema>;
export type Auth = z.infer<typeof authSchema>;

function checkPeerUrl(text: string, ctx: z.core.$RefinementCtx<string>): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return; // z.url() has reported it already.
  }
  if (url.username !== '' || url.password !== '') {
    ctx.addIssue({
      code: 'custom',
      message: 'credentials do not belong in the URL: name them with auth/token (a SecretRef)',
    });
  }
  if (url.search !== '' || url.hash !== '') {
    ctx.addIssue({ code: 'custom', message: 'expected a base URL without a query string or fragment' });
  }
}

/** The peer's base URL (a path prefix is kept: `https://host/mlflow`). */
export const peerUrlSchema = z
  .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
  .superRefine(checkPeerUrl);

const MAX_TIMEOUT_MS = 5 * 60_000;

export const timeoutSchema = z
  .string()
  .refine(
    (text) => {
      const parsed = parseDuration(text);
      return parsed.ok && parsed.ms > 0 && parsed.ms <= MAX_TIMEOUT_MS;
    },
    { error: 'expected a duration between 1ms and 5m, like 10s' },
  )
  .describe('how long one request may take; default 10s');

/** Still accepted, so that policies written for it load; it has no effect (see `httpDeprecatedParams`). */
export const retriesSchema = z
  .number()
  .int()
  .min(0)
  .max(10)
  .describe('deprecated, no effect: a failed request fails the step, and salve retries the step');

/** Where requests go and what credentials they carry: never from an alert's labels. */
export const httpLiteralParams = ['url', 'auth', 'token', 'headers', 'timeout', 'retries'] as const;

/**
 * `retries` once repeated a failed request inside the step, up to 12 requests for one step under the engine's
 * own retries. The engine now retries the step (durable, audited, with backoff), and the transport repeats
 * only a connection that never opened (http/client.ts): a policy that still sets it loads, with a warning.
 */
export const httpDeprecatedParams = {
  retries:
    'a failed request fails the step, which salve retries with backoff (each attempt audited); remove it',
} as const;

/** Fields every HTTP action accepts. */
export const httpFields = {
  url: peerUrlSchema.describe('base URL of the service (http or https; no credentials, query or fragment)'),
  timeout: timeoutSchema.optional(),
  retries: retriesSchema.optional(),
};

export type HttpFields = { url: string; timeout?: string | undefined };

/** String values keyed by plain identifiers: DAG conf, workflow and pipeline parameters. */
export const stringMapSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'expected a parameter name (letters, digits, _ . -)'),
  z.string(),
);

export const dnsLabelSchema = z.string().refine(isDnsLabel, { error: `expected ${dnsLabelRule}` });
export const dnsSubdomainSchema = z
  .string()
  .refine(isDnsSubdomain, { error: `expected ${dnsSubdomainRule}` });

/** A positive integer, or its decimal digits (what a `{{ labels.X }}` template renders to). */
export const positiveIntSchema = z.union([
  z.number().int().positive(),
  z.string().regex(/^[1-9][0-9]{0,15}$/, 'expected a positive integer'),
]);

export function timeoutMs(fields: HttpFields): number {
  const parsed = parseDuration(fields.timeout ?? '10s');
  return parsed.ok ? parsed.ms : 10_000;
}
