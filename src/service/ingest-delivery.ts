import type { ActionRegistry } from '../actions/registry.js';
import { alertIdentity, normaliseAlert, type ReceivedAlert, type WebhookPayload } from '../alerts/schema.js';
import type { Clock } from '../clock.js';
import type { OwnerCache } from '../kube/owner-cache.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { salveAttr } from '../observability/trace-attributes.js';
import type { Span, Tracer } from '../observability/tracing.js';
import { evaluateAlert } from '../policy/evaluate.js';
import type { PolicyTable } from '../policy/table.js';
import type { HealRef, IngestInput, IngestResult, Store } from '../store/types.js';
import type { CommittedAlerts, Trust } from './committed-alerts.js';
import type { KnownDelivery } from './delivery-memo.js';
import { type Opening, startHealTraces } from './heal-traces.js';
import { evaluateWithOwners } from './owner-resolution.js';

export type IngestDeps = {
  store: Pick<Store, 'knownAlerts' | 'ingest'>;
  policies: { current(): PolicyTable };
  registry: ActionRegistry;
  clock: Clock;
  metrics: Metrics;
  engine: { poke(): void };
  config: { dryRun: boolean };
  /** Resolves ownerOf targets: in memory, else a bounded read; what neither settles is deferred. */
  owners: OwnerCache;
  tracer: Tracer;
  /** Alert identities known committed: a re-delivery of them is answered without a read. */
  committed: CommittedAlerts;
};

/** What the webhook answers (202) once the delivery is committed. */
export type DeliveryAnswer = {
  status: 'accepted';
  /** The delivery's row, or null when nothing in it was new (nothing was written). */
  delivery: number | null;
  alerts: { received: number; new: number; deduplicated: number };
  heals: { opened: HealRef[]; attached: HealRef[] };
  refused: number;
  /** `ownerOf` matches kept for a later resolution (the API did not answer in time). */
  deferred: number;
  truncatedAlerts: number;
};

/** Each heal the delivery may open: a policy matched one of its new alerts. */
function openingsOf(alerts: IngestInput['alerts'], dryRun: boolean): Opening[] {
  return alerts.flatMap(({ alert, outcomes }) =>
    outcomes.flatMap((o) =>
      o.outcome === 'match' ? [{ ...o, dryRun, alertname: alert.labels.alertname ?? '' }] : [],
    ),
  );
}

/** What the delivery's span says it came to. */
function tell(span: Span, result: IngestResult): void {
  span.setAttributes({
    [salveAttr.deliveryId]: result.deliveryId,
    [salveAttr.alertsReceived]: result.received,
    [salveAttr.alertsNew]: result.new,
    [salveAttr.healsOpened]: result.opened.length,
    [salveAttr.healsAttached]: result.attached.length,
  });
}

/** Which of the delivery's alerts are committed: remembered ones at once, those that may be read from the store. */
async function knownAlerts(
  deps: IngestDeps,
  received: readonly ReceivedAlert[],
  ids: readonly string[],
  trust: Trust,
): Promise<Set<string>> {
  const known = deps.committed.knownOf(ids, trust);
  if (known.size === received.length) return known;
  // Only what may be in the store unseen is read: a new incident's alerts, started since this process has
  // known every commit (SQLite), are new without a read. Were one not, the store still deduplicates it.
  const unknown = received.filter(
    (alert, i) => !known.has(ids[i] as string) && deps.committed.mayBeCommitted(alert.startsAt),
  );
  if (unknown.length === 0) return known;
  const read = await deps.store.knownAlerts(unknown).catch((err: unknown) => {
    deps.committed.forget();
    throw err;
  });
  deps.committed.remember(read, trust);
  for (const id of read) known.add(id);
  return known;
}

/** The answer to a delivery whose alerts were all committed before: nothing is written, nothing evaluated. */
function deduplicated(
  deps: IngestDeps,
  received: number,
  truncatedAlerts: number,
  span: Span,
): DeliveryAnswer {
  deps.metrics.alertsDeduplicated.inc(received);
  if (deps.tracer.enabled)
    span.setAttributes({ [salveAttr.alertsReceived]: received, [salveAttr.alertsNew]: 0 });
  return {
    status: 'accepted',
    delivery: null,
    alerts: { received, new: 0, deduplicated: received },
    heals: { opened: [], attached: [] },
    refused: 0,
    deferred: 0,
    truncatedAlerts,
  };
}

/** A delivery received: its answer, and what answering the same delivery again would need. */
export type Delivered = {
  answer: DeliveryAnswer | Promise<DeliveryAnswer>;
  known: KnownDelivery;
};

/**
 * An Alertmanager delivery: every alert committed before the answer, each matched against the policies, the
 * heals it opens or joins committed with it. Nothing is acted on here: the engine picks the work up.
 *
 * Alertmanager re-sends whole groups every group_interval and repeat_interval, and HA peers send them twice:
 * when every alert is remembered as committed, the delivery is durable as it stands and is answered at once,
 * not as a promise: no write, no read, no evaluation (the store would ignore them all), nothing to wait for.
 */
export function ingestDelivery(
  deps: IngestDeps,
  payload: WebhookPayload,
  log: Pick<Logger, 'info'>,
  span: Span,
): Delivered {
  const received = payload.alerts.map(normaliseAlert);
  let firing = 0;
  for (const alert of received) if (alert.status === 'firing') firing++;
  countReceived(deps.metrics, firing, received.length - firing);
  // While the store is in doubt (it failed to commit), nothing is answered without a write: what it said it
  // holds may be gone (a replaced file, a restored database), and Alertmanager retries a 503.
  const trust = deps.committed.trusted();
  const ids = received.map(alertIdentity);
  const known = { ids, firing, resolved: received.length - firing, truncatedAlerts: payload.truncatedAlerts };
  const answer = deps.committed.allKnown(ids, trust)
    ? deduplicated(deps, received.length, known.truncatedAlerts, span)
    : ingestUnknown(deps, payload, received, ids, trust, log, span);
  return { answer, known };
}

/**
 * The same delivery again (the same bytes), answered as `ingestDelivery` would answer it, if every one of its
 * alerts is still remembered as committed; null sends it the long way (the store in doubt, an alert forgotten).
 */
export function answerKnown(deps: IngestDeps, known: KnownDelivery, span: Span): DeliveryAnswer | null {
  if (!deps.committed.allKnown(known.ids, deps.committed.trusted())) return null;
  countReceived(deps.metrics, known.firing, known.resolved);
  return deduplicated(deps, known.ids.length, known.truncatedAlerts, span);
}

/** `salve_alerts_received_total` by status: one increment per status, not one per alert. */
function countReceived(metrics: Metrics, firing: number, resolved: number): void {
  if (firing > 0) metrics.alertsReceived.inc({ status: 'firing' }, firing);
  if (resolved > 0) metrics.alertsReceived.inc({ status: 'resolved' }, resolved);
}

/** A delivery with alerts not remembered as committed: those that may be stored are read, the rest written. */
async function ingestUnknown(
  deps: IngestDeps,
  payload: WebhookPayload,
  received: ReceivedAlert[],
  ids: readonly string[],
  trust: Trust,
  log: Pick<Logger, 'info'>,
  span: Span,
): Promise<DeliveryAnswer> {
  const { metrics } = deps;
  const known = trust === null ? new Set<string>() : await knownAlerts(deps, received, ids, trust);
  if (known.size === received.length)
    return deduplicated(deps, received.length, payload.truncatedAlerts, span);
  const table = deps.policies.current();
  // ownerOf targets resolve in memory; what the cache misses is read within a short deadline, or deferred.
  // Alerts already committed are duplicates: the store does nothing with them, nothing to evaluate.
  const duplicates =
    known.size === 0 ? null : new Set(received.filter((_, i) => known.has(ids[i] as string)));
  const outcomes = await evaluateWithOwners(
    received,
    (alert, resolve) => (duplicates?.has(alert) ? [] : evaluateAlert(table, alert, deps.registry, resolve)),
    deps.owners,
    (outcome) => metrics.ownerResolutions.inc({ outcome }),
  );
  const alerts = received.map((alert, i) => ({ alert, outcomes: outcomes[i] ?? [] }));
  // Tracing off: not even the list of heals the delivery may open is made.
  const traces = deps.tracer.enabled
    ? startHealTraces(deps.tracer, openingsOf(alerts, deps.config.dryRun), { kind: 'alert' }, span)
    : null;
  const result = await deps.store
    .ingest({
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
      ...(traces ? { traces: traces.traces } : {}),
    })
    .catch((err: unknown) => {
      traces?.dropped();
      deps.committed.forget();
      throw err;
    });
  // Committed: the new alerts in this transaction, the others before it.
  if (trust !== null) deps.committed.remember(ids, trust);
  traces?.opened(result.opened);
  if (deps.tracer.enabled) tell(span, result);
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
    deferred: result.deferred,
    truncatedAlerts: payload.truncatedAlerts,
  };
}
