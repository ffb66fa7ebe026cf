import { z } from 'zod';
import {
  basicAuthSchema,
  httpFields,
  peerUrlSchema,
  secretRefSchema,
  tokenAuthSchema,
} from '../http/params.js';

// Prefect forbids / % & > < in flow and deployment names (prefect/types/names.py BANNED_CHARACTERS); `.` and
// `..` alone would walk out of the /deployments/name/ path once a URL is normalised.
const NAME = /^[^/%&<>\p{Cc}]{1,255}$/u;
const nameOk = (name: string) => NAME.test(name) && name !== '.' && name !== '..' && name.trim() === name;

/** `flow-name/deployment-name`, as `prefect deployment run` takes it. */
export const flowDeploymentSchema = z.string().refine(
  (text) => {
    const parts = text.split('/');
    return parts.length === 2 && parts.every(nameOk);
  },
  {
    error:
      'expected flow-name/deployment-name (each without / % & < >, not . or .., no leading or trailing spaces)',
  },
);

export const prefectAuthSchema = z
  .union([tokenAuthSchema, basicAuthSchema, z.strictObject({ authString: secretRefSchema })])
  .describe(
    '{ token: SecretRef }: a Prefect Cloud API key (Bearer); { authString: SecretRef }: a self-hosted server\'s PREFECT_SERVER_API_AUTH_STRING ("user:password", basic auth); or { username, password: SecretRef }',
  );
export type PrefectAuth = z.infer<typeof prefectAuthSchema>;

const CLOUD_HOST = 'api.prefect.cloud';
const CLOUD_PATH = /^\/api\/accounts\/[0-9a-f-]{36}\/workspaces\/[0-9a-f-]{36}\/?$/i;

/** Prefect Cloud's API lives under one account and workspace, and takes an API key. */
function checkCloud(p: { url: string; auth?: PrefectAuth | undefined }, ctx: z.core.$RefinementCtx): void {
  const url = URL.parse(p.url);
  if (url?.hostname !== CLOUD_HOST) return;
  if (!CLOUD_PATH.test(url.pathname)) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: `expected https://${CLOUD_HOST}/api/accounts/<account id>/workspaces/<workspace id> (PREFECT_API_URL)`,
    });
  }
  if (p.auth === undefined || !('token' in p.auth)) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth'],
      message: 'Prefect Cloud takes an API key: auth: { token: { env: PREFECT_API_KEY } }',
    });
  }
}

const jsonLeaf = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const prefectParams = z
  .strictObject({
    ...httpFields,
    url: peerUrlSchema.describe(
      "Prefect's API base URL, as PREFECT_API_URL: http://HOST:4200/api, or https://api.prefect.cloud/api/accounts/<account id>/workspaces/<workspace id>",
    ),
    deployment: flowDeploymentSchema.describe('the deployment to run, as flow-name/deployment-name'),
    parameters: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a Python parameter name'), jsonLeaf)
      .optional()
      .describe(
        "flow run parameters over the deployment's own; values may use {{ labels.X }} (a string then)",
      ),
    tags: z
      .array(z.string().regex(/^[A-Za-z0-9_.:/=-]{1,100}$/, 'expected a tag (letters, digits, _ . : / = -)'))
      .max(20)
      .optional()
      .describe('tags on the flow run, beside the deployment\'s and "salve"'),
    auth: prefectAuthSchema.optional(),
    waitForCompletion: z
      .boolean()
      .default(false)
      .describe(
        'verify.rollout waits for the flow run to finish: COMPLETED is done; FAILED, CRASHED or CANCELLED fail the step',
      ),
  })
  .superRefine(checkCloud);
export type PrefectParams = z.infer<typeof prefectParams>;
