import { SalveError } from '../errors.js';
import { type WebhookPayload, webhookPayloadSchema } from './schema.js';

/** How Alertmanager writes "not ended yet". */
export const notEnded = '0001-01-01T00:00:00Z';

/**
 * A captured payload as Alertmanager would send it now: firing alerts start now, resolved alerts end now and
 * keep the start of the firing alert they resolve (`startsAtOf`, by fingerprint), as Alertmanager's own
 * resolved notifications do. A captured file sent twice would be the same alerts again (deduplicated);
 * stamped, it is a new incident each time, and its resolution closes that incident's heal.
 */
export function stampPayload(
  raw: unknown,
  now: Date,
  startsAtOf: (fingerprint: string) => string | undefined,
): WebhookPayload {
  const payload = webhookPayloadSchema.parse(raw);
  const at = now.toISOString();
  const alerts = payload.alerts.map((alert) => {
    if (alert.status === 'firing') return { ...alert, startsAt: at, endsAt: notEnded };
    const startsAt = startsAtOf(alert.fingerprint);
    if (startsAt === undefined) {
      throw new SalveError(
        'SALVE_REQUEST_INVALID',
        `resolved alert ${alert.fingerprint} (${alert.labels.alertname ?? 'no alertname'}) resolves no firing alert salve has received: fire the firing one first`,
      );
    }
    return { ...alert, startsAt, endsAt: at };
  });
  return { ...payload, alerts };
}
