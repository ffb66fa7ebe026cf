import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Every metric salve exposes, on a Registry of its own (never the global one): one app, one registry. */
export function createMetrics(registry: Registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'salve_' });
  const registers = [registry];
  return {
    registry,
    webhookRequests: new Counter({
      name: 'salve_webhook_requests_total',
      help: 'Alertmanager webhook requests by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookAckSeconds: new Histogram({
      name: 'salve_webhook_ack_seconds',
      help: 'Time from receiving a webhook to acknowledging it (durably committed)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    alertsReceived: new Counter({
      name: 'salve_alerts_received_total',
      help: 'Alerts received in webhook deliveries, by status',
      labelNames: ['status'] as const,
      registers,
    }),
    alertsDeduplicated: new Counter({
      name: 'salve_alerts_deduplicated_total',
      help: 'Alerts re-delivered (group re-sends, repeat intervals, HA peers) and ignored',
      registers,
    }),
    matchRefusals: new Counter({
      name: 'salve_match_refusals_total',
      help: 'Matching alerts a policy refused to act on (missing label, bad name, outside allow)',
      labelNames: ['policy', 'reason'] as const,
      registers,
    }),
    healsOpened: new Counter({
      name: 'salve_heals_opened_total',
      help: 'Heals opened, by policy',
      labelNames: ['policy'] as const,
      registers,
    }),
    heals: new Counter({
      name: 'salve_heals_total',
      help: 'Heals finished, by policy, last action and outcome',
      labelNames: ['policy', 'action', 'outcome'] as const,
      registers,
    }),
    actionDuration: new Histogram({
      name: 'salve_action_duration_seconds',
      help: 'Duration of action runs, by action and outcome',
      labelNames: ['action', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    guardRefusals: new Counter({
      name: 'salve_guard_refusals_total',
      help: 'Heals refused by a guard, by guard and reason (loop_breaker, global_rate_limit, cooldown, ...)',
      labelNames: ['guard', 'reason'] as const,
      registers,
    }),
    healStepOutcomes: new Counter({
      name: 'salve_heal_step_outcomes_total',
      help: 'What became of each step a heal tried, by policy, step (from 1) and outcome (resolved, failed, next_step, escalated; dry_run for dry runs)',
      labelNames: ['policy', 'step', 'outcome'] as const,
      registers,
    }),
    timeToResolve: new Histogram({
      name: 'salve_time_to_resolve_seconds',
      help: 'Time from heal opening to every attached alert resolving, by policy',
      labelNames: ['policy'] as const,
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    }),
    paused: new Gauge({
      name: 'salve_paused',
      help: '1 while salve is paused (nothing is acted on)',
      registers,
    }),
    openHeals: new Gauge({
      name: 'salve_open_heals',
      help: 'Heals not yet closed, by state (awaiting_approval: waiting for an operator); read from the store',
      labelNames: ['state'] as const,
      registers,
    }),
    schedulerQueueDepth: new Gauge({
      name: 'salve_scheduler_queue_depth',
      help: 'Work items waiting for the scheduler',
      registers,
    }),
    notifications: new Counter({
      name: 'salve_notifications_total',
      help: 'Notifications by notifier and outcome',
      labelNames: ['notifier', 'outcome'] as const,
      registers,
    }),
    notificationsPending: new Gauge({
      name: 'salve_notifications_pending',
      help: 'Notifications in the outbox not yet sent nor given up (the backlog); read from the store',
      registers,
    }),
    policiesLoaded: new Gauge({
      name: 'salve_policies_loaded',
      help: 'Policies in the table in force',
      registers,
    }),
    policyReloads: new Counter({
      name: 'salve_policy_reloads_total',
      help: 'Policy reloads by outcome (ok, error)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    policyLastReloadSuccessful: new Gauge({
      name: 'salve_policy_last_reload_successful',
      help: '1 when the last policy reload (or the load at start) succeeded, 0 while a rejected one stands',
      registers,
    }),
    policyReloadErrors: new Counter({
      name: 'salve_policy_reload_errors_total',
      help: 'Policy reloads rejected; the last good table stayed in force',
      registers,
    }),
    auditCheckpointSeq: new Gauge({
      name: 'salve_audit_checkpoint_seq',
      help: 'Sequence number of the last audit checkpoint salve verified and published',
      registers,
    }),
    auditCheckpointHead: new Gauge({
      name: 'salve_audit_checkpoint_head',
      help: 'First 48 bits of the head hash at the last checkpoint, as a number (printf %012x to compare)',
      registers,
    }),
    auditBrokenRecords: new Gauge({
      name: 'salve_audit_broken_records',
      help: 'Audit records the last verification found changed, missing or unreadable (0 when intact)',
      registers,
    }),
    auditCheckpointSinkFailures: new Counter({
      name: 'salve_audit_checkpoint_sink_failures_total',
      help: 'Checkpoints the external sink (SALVE_AUDIT_CHECKPOINT_URL) did not accept',
      registers,
    }),
    storeUp: new Gauge({
      name: 'salve_store_up',
      help: '1 while the store commits (the write probe and every store call succeed), 0 during an outage',
      registers,
    }),
    storeFailures: new Counter({
      name: 'salve_store_failures_total',
      help: 'Store calls that failed because the store could not commit or answer in time, by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
    ownerResolutions: new Counter({
      name: 'salve_owner_resolutions_total',
      help: 'ownerOf targets at ingest, by how they ended: cache (in memory), lookup (read on a miss), refused, deferred (the API did not answer in time)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    ownerCacheSynced: new Gauge({
      name: 'salve_owner_cache_synced',
      help: '1 when every owner-chain informer has listed (ingest resolves ownerOf targets in memory), else 0',
      registers,
    }),
    ownerCacheObjects: new Gauge({
      name: 'salve_owner_cache_objects',
      help: 'Objects the owner-chain cache holds, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    ownerCacheWatchFailures: new Counter({
      name: 'salve_owner_cache_watch_failures_total',
      help: 'Failed lists or watches of the owner-chain cache (it lists again after a back-off), by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    deferredMatches: new Gauge({
      name: 'salve_deferred_matches',
      help: 'Alerts whose ownerOf target waits for a later resolution (the API did not answer); read from the store',
      registers,
    }),
    authFailures: new Counter({
      name: 'salve_auth_failures_total',
      help: 'Requests refused for a missing, unknown or under-scoped token, by route',
      labelNames: ['route', 'reason'] as const,
      registers,
    }),
    traceSpansExported: new Counter({
      name: 'salve_trace_spans_exported_total',
      help: 'Spans handed to the OTLP endpoint, by outcome (sent, failed: dropped after the exporter gave up)',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
