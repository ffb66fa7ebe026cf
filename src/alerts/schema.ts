import { z } from 'zod';
import { isRealTimestamp, normaliseTimestamp } from './timestamp.js';

export { alertIdentity } from './identity.js';

// RFC 3339 as Alertmanager writes it: fractional seconds of any length, `Z` or a numeric offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export const timestamp = z
  .string()
  .regex(RFC3339, 'expected an RFC 3339 timestamp')
  .refine(
    isRealTimestamp,
    'expected a date and time that exist (a day of its month, hours 00-23, minutes and seconds 00-59)',
  );

// NUL cannot be stored (PostgreSQL text refuses it) and never appears in real label values.
const text = z.string().refine((v) => !v.includes('\u0000'), 'must not contain NUL characters');
const stringMap = z.record(text, text);

// Newer Alertmanagers add fields (notification_reason, routeLabels): unknown keys are tolerated and dropped.
export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: stringMap,
  annotations: stringMap.default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(128),
});

export const webhookPayloadSchema = z.object({
  version: z.string().default('4'),
  groupKey: z.string().default(''),
  truncatedAlerts: z.number().int().nonnegative().default(0),
  receiver: z.string().default(''),
  status: z.enum(['firing', 'resolved']),
  alerts: z.array(alertSchema).max(10_000),
  groupLabels: stringMap.default({}),
  commonLabels: stringMap.default({}),
  commonAnnotations: stringMap.default({}),
  externalURL: z.string().default(''),
});

export type Alert = z.infer<typeof alertSchema>;
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
export type AlertStatus = Alert['status'];

/** An alert as salve keeps it: timestamps normalised so that the same instant always compares equal. */
export type ReceivedAlert = {
  fingerprint: string;
  status: AlertStatus;
  startsAt: string;
  endsAt: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  generatorURL: string;
};

const ZERO_TIME = '0001-01-01T00:00:00.000Z';

export function normaliseAlert(alert: Alert): ReceivedAlert {
  const endsAt = alert.endsAt ? normaliseTimestamp(alert.endsAt) : null;
  return {
    fingerprint: alert.fingerprint,
    status: alert.status,
    startsAt: normaliseTimestamp(alert.startsAt),
    // Alertmanager sends year 1 for "not ended yet".
    endsAt: endsAt === ZERO_TIME ? null : endsAt,
    labels: alert.labels,
    annotations: alert.annotations,
    generatorURL: alert.generatorURL,
  };
}
