import { bearerAuth, describeRef, type ResolvedAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint, send } from '../http/client.js';
import { healRunId } from '../http/names.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { type WebhookParams, webhookParams } from './params.js';

async function resolveHeaders(ctx: ActionContext, params: WebhookParams): Promise<ResolvedAuth> {
  const auth = await bearerAuth(ctx, params.token);
  const headers = { ...auth.headers };
  const secrets = [...auth.secrets];
  const sources: string[] = auth.credential === undefined ? [] : [auth.credential];
  for (const [name, value] of Object.entries(params.headers ?? {})) {
    if (typeof value === 'string') {
      headers[name] = value;
      continue;
    }
    const secret = await ctx.secrets.read(value);
    headers[name] = secret;
    secrets.push(secret);
    sources.push(`header ${name} from ${describeRef(value)}`);
  }
  return { headers, secrets, credential: sources.length === 0 ? undefined : sources.join(', ') };
}

function bodyOf(ctx: ActionContext, params: WebhookParams): Record<string, unknown> {
  return (
    params.body ?? {
      heal: ctx.heal.id,
      policy: ctx.heal.policy,
      step: ctx.heal.step,
      target: ctx.target,
    }
  );
}

async function post(ctx: ActionContext, ep: HttpEndpoint, params: WebhookParams) {
  const key = healRunId(ctx);
  const facts = { url: displayUrl(params.url), idempotencyKey: key };
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: '',
    body: bodyOf(ctx, params),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    accept: [409],
  });
  const where = displayUrl(params.url);
  if (reply.status !== 409)
    return changed(`posted to ${where} (HTTP ${reply.status})`, { ...facts, httpStatus: reply.status });
  // The key is the heal step's: a 409 is this step's own post, from an earlier attempt (whose answer may have
  // been lost) or a run a crash cut short.
  return unchanged(`${where} already received idempotency key ${key} (HTTP 409)`, {
    ...facts,
    httpStatus: 409,
  });
}

export const webhook: Action<WebhookParams> = {
  kind: 'webhook',
  summary: 'POST a JSON body to a URL with an Idempotency-Key per heal step (409 means already received)',
  params: webhookParams,
  targetKinds: ['*'],
  example: {
    url: 'https://hooks.example.com/retrain',
    body: { model: '{{ labels.model }}', reason: '{{ annotations.summary }}' },
    headers: { 'X-Team': 'ml-platform', 'X-Api-Key': { env: 'RETRAIN_HOOK_KEY' } },
  },
  rbac: [],
  literalParams: httpLiteralParams,
  deprecatedParams: httpDeprecatedParams,
  dataParams: { body: 'data sent to the URL the policy writes' },

  describe(target: TargetRef, params: WebhookParams): string {
    return `would POST to ${displayUrl(params.url)} with an Idempotency-Key for this heal step (for ${targetLabel(target)})`;
  },

  async run(ctx, params): Promise<ActionResult> {
    const ep = createEndpoint('Webhook', params, await resolveHeaders(ctx, params));
    return post(ctx, ep, params);
  },
};
