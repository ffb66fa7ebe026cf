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

type Labels = Record<string, string>;

/** What JSON Schema cannot say and zod's refinements check; `__proto__` is left to zod's own handling. */
function plainText(map: Labels | undefined): boolean {
  if (map === undefined) return true;
  for (const key in map) {
    if (key === '__proto__' || key.includes('\u0000') || map[key]!.includes('\u0000')) return false;
  }
  return true;
}

const validDate = (s: string | undefined) => s === undefined || isRealTimestamp(s);

/**
 * The payload exactly as `webhookPayloadSchema.parse` returns it, at the cost of a compiled validator, or
 * null when zod must decide: then zod parses it again and words the error (naming what was wrong and where).
 * Every delivery Alertmanager sends takes this path; a test holds it to zod's answer on good and bad input.
 */
export function fastWebhookPayload(body: unknown): WebhookPayload | null {
  if (!validate(body)) return null;
  const b = body as Partial<WebhookPayload> & { alerts: Array<Partial<Alert> & Alert> };
  if (!plainText(b.groupLabels) || !plainText(b.commonLabels) || !plainText(b.commonAnnotations)) return null;
  const alerts: Alert[] = new Array(b.alerts.length);
  for (let i = 0; i < b.alerts.length; i++) {
    const a = b.alerts[i]!;
    if (!validDate(a.startsAt) || !validDate(a.endsAt)) return null;
    if (!plainText(a.labels) || !plainText(a.annotations)) return null;
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
