import { Ajv } from 'ajv';
import { z } from 'zod';
import { type Alert, type WebhookPayload, webhookPayloadSchema } from './schema.js';
import { isRealTimestamp } from './timestamp.js';

/** The webhook payload's schema as JSON Schema: the OpenAPI document's, and the compiled validator's. */
export const webhookPayloadJsonSchema = z.toJSONSchema(webhookPayloadSchema, {
  io: 'input',
  unrepresentable: 'any',
});

const { $schema: _, ...draft } = webhookPayloadJsonSchema;
// unicode: false counts string lengths in UTF-16 units, as zod does (ajv calls the option deprecated and says so
// through its logger: hence none; the test of both answers fails if a later ajv ignores it).
const validate = new Ajv({ unicode: false, strict: false, logger: false }).compile(draft);

const validDate = (s: string | undefined) => s === undefined || isRealTimestamp(s);

/**
 * The payload exactly as `webhookPayloadSchema.parse` returns it, at the cost of a compiled validator, or
 * null when zod must decide: then zod parses it again and words the error (naming what was wrong and where).
 * Every delivery Alertmanager sends takes this path; a test holds it to zod's answer on good and bad input.
 *
 * `body` is what the app's JSON parser made of a request (http/well-formed.ts): it refused, before any route
 * ran, every body holding NUL or a lone surrogate in any string or key, and any `__proto__` key, with a 400
 * naming where. What zod's refinements check beyond JSON Schema (no NUL in labels and annotations, no
 * `__proto__` label) is therefore not checked again here; a test holds the webhook to those refusals.
 */
export function fastWebhookPayload(body: unknown): WebhookPayload | null {
  if (!validate(body)) return null;
  const b = body as Partial<WebhookPayload> & { alerts: Array<Partial<Alert> & Alert> };
  const alerts: Alert[] = new Array(b.alerts.length);
  for (let i = 0; i < b.alerts.length; i++) {
    const a = b.alerts[i]!;
    if (!validDate(a.startsAt) || !validDate(a.endsAt)) return null;
    const alert: Alert = {
      status: a.status,
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt: a.startsAt,
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint,
    };
    if (a.endsAt !== undefined) alert.endsAt = a.endsAt;
    alerts[i] = alert;
  }
  return {
    version: b.version ?? '4',
    groupKey: b.groupKey ?? '',
    truncatedAlerts: b.truncatedAlerts ?? 0,
    receiver: b.receiver ?? '',
    status: b.status!,
    alerts,
    groupLabels: b.groupLabels ?? {},
    commonLabels: b.commonLabels ?? {},
    commonAnnotations: b.commonAnnotations ?? {},
    externalURL: b.externalURL ?? '',
  };
}
