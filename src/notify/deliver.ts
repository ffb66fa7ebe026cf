import type { Clock } from '../clock.js';
import type { AuditInput } from '../domain/audit.js';
import { backoffDelay } from '../domain/backoff.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxItem, OutboxResult, Store } from '../store/types.js';
import type { Notifier } from './notifier.js';
import { notificationAudit, notifyAuditTypes } from './records.js';
import { howToConfigure, type NotifierRegistry } from './registry.js';
import { passesSeverity } from './severity.js';
import type { SendResult } from './types.js';

/** How long a notification is retried, and how far apart. */
export type DeliverySettings = {
  /** Delivery rounds before an item goes dead (rounds spent waiting behind an older item count too). */
  maxAttempts: number;
  /** Between delivery attempts of one item (a peer's Retry-After wins): doubling, capped, jittered (src/domain/backoff.ts). */
  backoff: { baseMs: number; maxMs: number; jitter: number };
};

export type DeliverDeps = {
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  notifiers: NotifierRegistry;
  settings: DeliverySettings;
  random?: () => number;
};

/** The `outcome` of `salve_notifications_total`: what one claimed notification came to. */
export const deliveryOutcomes = ['sent', 'retry', 'dead', 'skipped', 'deferred'] as const;

type Finish = { result: OutboxResult; audit: AuditInput[]; outcome: (typeof deliveryOutcomes)[number] };

/** When to try again after an item that had `attempts` failed deliveries before fails once more. */
function backoffMs(deps: DeliverDeps, attempts: number, retryAfterMs: number | undefined): number {
  // The peer said when: honour it (at least a second, so a `Retry-After: 0` cannot spin the loop).
  if (retryAfterMs !== undefined) return Math.max(retryAfterMs, 1_000);
  return backoffDelay(attempts, deps.settings.backoff, deps.random);
}

function outcomeOf(deps: DeliverDeps, item: OutboxItem, d: SendResult): Finish {
  const at = deps.clock.now();
  const status = d.status;
  if (d.outcome === 'sent') {
    return {
      outcome: 'sent',
      result: { outcome: 'sent', at: at.toISOString() },
      audit: [notificationAudit(item, notifyAuditTypes.sent, 'sent', { status })],
    };
  }
  const gaveUp = d.outcome === 'retry' && item.attempts + 1 >= deps.settings.maxAttempts;
  if (d.outcome === 'dead' || gaveUp) {
    const error = gaveUp ? `${d.error}; gave up after ${item.attempts + 1} attempts` : d.error;
    return {
      outcome: 'dead',
      result: { outcome: 'dead', at: at.toISOString(), error },
      audit: [notificationAudit(item, notifyAuditTypes.dead, 'dead', { status, error })],
    };
  }
  const nextAttemptAt = new Date(at.getTime() + backoffMs(deps, item.attempts, d.retryAfterMs)).toISOString();
  return {
    outcome: 'retry',
    result: { outcome: 'retry', at: at.toISOString(), nextAttemptAt, error: d.error },
    audit: [
      notificationAudit(item, notifyAuditTypes.failed, 'retry', { status, error: d.error, nextAttemptAt }),
    ],
  };
}

async function attempt(deps: DeliverDeps, notifier: Notifier | undefined, item: OutboxItem): Promise<Finish> {
  const at = deps.clock.now().toISOString();
  if (!notifier) {
    const error = `no notifier named "${item.notifier}" is configured (${howToConfigure(item.notifier)})`;
    return {
      outcome: 'dead',
      result: { outcome: 'dead', at, error },
      audit: [notificationAudit(item, notifyAuditTypes.dead, 'unknown_notifier', { status: null, error })],
    };
  }
  // Settled, not failed: the audit record says it was deliberately not sent, and why.
  const skipped = (why: string): Finish => ({
    outcome: 'skipped',
    result: { outcome: 'sent', at },
    audit: [notificationAudit(item, notifyAuditTypes.skipped, 'skipped', { why })],
  });
  if (!passesSeverity(item.event, notifier.minSeverity)) {
    return skipped(`severity ${item.event.alert?.severity} is below ${notifier.minSeverity}`);
  }
  const delivery = await notifier.notify({
    id: item.id,
    notifier: item.notifier,
    attempt: item.attempts + 1,
    lastAttempt: item.attempts + 1 >= deps.settings.maxAttempts,
    event: item.event,
  });
  return delivery.outcome === 'skipped' ? skipped(delivery.why) : outcomeOf(deps, item, delivery);
}

/**
 * Sends one notifier's claimed items in order. Once one must be retried, the rest wait for the same moment
 * instead of overtaking it: after an outage, a heal's messages still arrive as one story, in order.
 */
export async function deliver(deps: DeliverDeps, name: string, items: readonly OutboxItem[]): Promise<void> {
  const notifier = deps.notifiers.get(name);
  let holdUntil: string | null = null;
  for (const item of items) {
    let finish: Finish;
    if (holdUntil !== null) {
      const at = deps.clock.now().toISOString();
      const error = 'waiting behind an earlier notification to the same notifier';
      finish = {
        outcome: 'deferred',
        result: { outcome: 'retry', at, nextAttemptAt: holdUntil, error },
        audit: [],
      };
    } else {
      try {
        finish = await attempt(deps, notifier, item);
      } catch (err) {
        // A store hiccup or a bug: the lease runs out and the item is tried again; nothing is lost.
        deps.log.error(
          { notifier: name, outbox: item.id, error: (err as Error)?.name },
          'notification attempt crashed',
        );
        return;
      }
    }
    if (finish.result.outcome === 'retry' && holdUntil === null) holdUntil = finish.result.nextAttemptAt;
    await deps.store.finishOutbox(item.id, finish.result, finish.audit);
    deps.metrics.notifications.inc({ notifier: name, outcome: finish.outcome });
    const facts = {
      notifier: name,
      kind: item.event.kind,
      heal: item.healId,
      outbox: item.id,
      attempt: item.attempts + 1,
      outcome: finish.outcome,
    };
    if (finish.outcome === 'retry' || finish.outcome === 'dead') {
      const result = finish.result as { error: string };
      deps.log.warn({ ...facts, error: result.error }, 'notification not delivered');
    } else if (finish.outcome !== 'deferred') {
      deps.log.info(facts, 'notification settled');
    }
  }
}
