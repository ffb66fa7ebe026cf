import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { postJson } from '../http-post.js';
import {
  type Notifier,
  type NotifierDeps,
  type NotifierKind,
  type NotifierSpec,
  readSource,
  type ValueSource,
  valueSourceSchema,
} from '../notifier.js';
import type { Outgoing } from '../types.js';

type WebhookFields = { url: ValueSource; secret: ValueSource | null };

const fields: z.ZodType<WebhookFields> = z
  .strictObject({
    url: valueSourceSchema,
    secret: valueSourceSchema.optional().describe('signs each body: X-Salve-Signature'),
  })
  .transform((f) => ({ url: f.url, secret: f.secret ?? null }));

export const webhookHeaders = {
  event: 'X-Salve-Event',
  delivery: 'X-Salve-Delivery',
  timestamp: 'X-Salve-Timestamp',
  signature: 'X-Salve-Signature',
} as const;

/** What a webhook consumer receives: the event, and which delivery of it this is (retries repeat the id). */
export function webhookBody(outgoing: Outgoing, sentAt: Date) {
  return {
    id: String(outgoing.id),
    notifier: outgoing.notifier,
    attempt: outgoing.attempt,
    sentAt: sentAt.toISOString(),
    event: outgoing.event,
  };
}

/** `sha256=<hex HMAC-SHA256(secret, raw body)>`; the body carries sentAt, so the timestamp is signed too. */
export function webhookSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Any HTTP consumer: the documented JSON event, signed when the notifier has a secret. */
export function createWebhookNotifier(spec: NotifierSpec<WebhookFields>, deps: NotifierDeps): Notifier {
  return {
    name: spec.name,
    type: 'webhook',
    minSeverity: spec.minSeverity,
    async notify(outgoing) {
      const url = await readSource(deps, spec.url, 'URL');
      if ('failed' in url) return url.failed;
      const now = deps.now();
      const raw = JSON.stringify(webhookBody(outgoing, now));
      const headers: Record<string, string> = {
        [webhookHeaders.event]: outgoing.event.kind,
        [webhookHeaders.delivery]: String(outgoing.id),
        [webhookHeaders.timestamp]: String(Math.floor(now.getTime() / 1000)),
        'Idempotency-Key': `salve-notification-${outgoing.id}`,
      };
      if (spec.secret) {
        const secret = await readSource(deps, spec.secret, 'secret');
        if ('failed' in secret) return secret.failed;
        headers[webhookHeaders.signature] = webhookSignature(secret.value, raw);
      }
      return postJson(deps.http, url.value, raw, { timeoutMs: deps.timeoutMs, headers, now: () => now });
    },
  };
}

export const webhookNotifier: NotifierKind<WebhookFields> = {
  type: 'webhook',
  fields,
  create: createWebhookNotifier,
};
