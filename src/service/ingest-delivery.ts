import type { ActionRegistry } from '../actions/registry.js';
import { alertIdentity, normaliseAlert, type WebhookPayload } from '../alerts/schema.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { evaluateAlert } from '../policy/evaluate.js';
import type { PolicyTable } from '../policy/table.js';
import type { HealRef, Store } from '../store/types.js';

export type IngestDeps = {
  store: Pick<Store, 'knownAlerts' | 'ingest'>;
  policies: { current(): PolicyTable };
  registry: ActionRegistry;
  clock: Clock;
  metrics: Metrics;
  engine: { poke(): void };
  config: { dryRun: boolean };
};

/** What the webhook answers (202) once the delivery is committed. */
export type DeliveryAnswer = {
  status: 'accepted';
  /** The delivery's row, or null when nothing in it was new (nothing was written). */
  delivery: number | null;
  alerts: { received: number; new: number; deduplicated: number };
  heals: { opened: HealRef[]; attached: HealRef[] };
  refused: number;
  truncatedAlerts: number;
};

/**
 * An Alertmanager delivery: every alert committed before the answer, each matched against the policies, the
 * heals it opens or joins committed with it. Nothing is acted on here: the engine picks the work up.
 */
export async function ingestDelivery(
  deps: IngestDeps,
  payload: WebhookPayload,
  log: Pick<Logger, 'info'>,
): Promise<DeliveryAnswer> {
  const { store, metrics } = deps;
  const received = payload.alerts.map(normaliseAlert);
  for (const alert of received) metrics.alertsReceived.inc({ status: alert.status });
  // Alertmanager re-sends whole groups every group_interval and repeat_interval, and HA peers send them
  // twice: when every alert is already committed, the delivery is durable as it stands. No write.
  const known = await store.knownAlerts(received);
  if (known.size === received.length) {
    metrics.alertsDeduplicated.inc(received.length);
    return {
      status: 'accepted',
      delivery: null,
      alerts: { received: received.length, new: 0, deduplicated: received.length },
      heals: { opened: [], attached: [] },
      refused: 0,
      truncatedAlerts: payload.truncatedAlerts,
    };
  }
  const table = deps.policies.current();
  const alerts = received.map((alert) => ({
    alert,
    outcomes: known.has(alertIdentity(alert)) ? [] : evaluateAlert(table, alert, deps.registry),
  }));
  const result = await store.ingest({
    receivedAt: deps.clock.now().toISOString(),
    actor: `alertmanager:${payload.receiver || 'unknown'}`,
    delivery: {
      receiver: payload.receiver,
      groupKey: payload.groupKey,
      externalURL: payload.externalURL,
      status: payload.status,
      truncatedAlerts: payload.truncatedAlerts,
    },
    alerts,
    dryRun: deps.config.dryRun,
  });
  // Never act inside the request: the engine picks the work up from the store.
  if (result.opened.length > 0 || result.resolved > 0) deps.engine.poke();
  metrics.alertsDeduplicated.inc(result.deduplicated);
  for (const { outcomes } of alerts) {
    for (const o of outcomes) {
      if (o.outcome === 'refused') metrics.matchRefusals.inc({ policy: o.policy, reason: o.reason });
    }
  }
  for (const heal of result.opened) {
    metrics.healsOpened.inc({ policy: heal.policy });
    log.info({ heal: heal.id, policy: heal.policy, target: heal.target }, 'heal opened');
  }
  return {
    status: 'accepted',
    delivery: result.deliveryId,
    alerts: { received: result.received, new: result.new, deduplicated: result.deduplicated },
    heals: { opened: result.opened, attached: result.attached },
    refused: result.refused,
    truncatedAlerts: payload.truncatedAlerts,
  };
}
