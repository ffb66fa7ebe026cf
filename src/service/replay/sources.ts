import { z } from 'zod';
import { alertIdentity, normaliseAlert, timestamp, webhookPayloadSchema } from '../../alerts/schema.js';
import { SalveError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import type { ReplayDelivery } from './simulate.js';

/** The store's alert history since a time, delivery by delivery, in the order salve received it. */
export async function* storeHistory(
  store: Pick<Store, 'listAlerts'>,
  since: string,
): AsyncGenerator<ReplayDelivery> {
  let afterId = 0;
  let current: (ReplayDelivery & { id: number }) | null = null;
  for (;;) {
    const page = await store.listAlerts({ afterId, limit: 5000, receivedSince: since });
    for (const a of page) {
      if (current && current.id !== a.deliveryId) {
        yield current;
        current = null;
      }
      const { receivedAt, deliveryId, id: _id, ...alert } = a;
      current ??= { id: deliveryId, receivedAt, receiver: '', groupKey: '', externalURL: '', alerts: [] };
      current.alerts.push(alert);
    }
    if (page.length < 5000) break;
    afterId = page.at(-1)!.id;
  }
  if (current) yield current;
}

/** One line of a history file: an Alertmanager webhook payload and when it was received, beside it or around it. */
const wrappedLine = z.object({ receivedAt: timestamp, payload: webhookPayloadSchema });
const flatLine = webhookPayloadSchema.extend({ receivedAt: timestamp });

function lineError(where: string, message: string): SalveError {
  return new SalveError('SALVE_REQUEST_INVALID', `${where}: ${message}`);
}

/**
 * Deliveries from lines of JSON (`salve replay --from FILE`, or a request's `deliveries`): each an Alertmanager
 * webhook payload with its `receivedAt`, either beside the payload's fields or as `{receivedAt, payload}`. In
 * receipt order; an alert identity seen before is a re-delivery and changes nothing, as in the store.
 */
export async function* linesHistory(
  lines: AsyncIterable<string> | Iterable<string>,
  name: string,
): AsyncGenerator<ReplayDelivery> {
  const seen = new Set<string>();
  let n = 0;
  let last = '';
  for await (const text of lines) {
    n += 1;
    if (text.trim() === '') continue;
    const where = `${name}:${n}`;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw lineError(where, `not JSON (${(err as Error).message})`);
    }
    const wrapped = typeof json === 'object' && json !== null && 'payload' in json;
    const parsed = (wrapped ? wrappedLine : flatLine).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw lineError(where, `${issue.path.join('.') || 'line'}: ${issue.message}`);
    }
    const value = parsed.data;
    const payload = 'payload' in value ? value.payload : value;
    const receivedAt = new Date(value.receivedAt).toISOString();
    if (receivedAt < last)
      throw lineError(
        where,
        `received at ${receivedAt}, before the line above (${last}): lines must be in receipt order`,
      );
    last = receivedAt;
    const alerts = payload.alerts.map(normaliseAlert).filter((a) => {
      const id = alertIdentity(a);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (alerts.length === 0) continue;
    yield {
      receivedAt,
      receiver: payload.receiver,
      groupKey: payload.groupKey,
      externalURL: payload.externalURL,
      alerts,
    };
  }
}
