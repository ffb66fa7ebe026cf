import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  alertIdentity,
  normaliseAlert,
  type ReceivedAlert,
  type WebhookPayload,
  webhookPayloadSchema,
} from '../../alerts/schema.js';
import type { Deps } from '../../deps.js';
import { evaluateAlert } from '../../policy/evaluate.js';
import { withinDeadline } from '../deadline.js';
import { parseOrThrow } from '../validate.js';

/** The `outcome` of `salve_webhook_requests_total`. */
export const webhookOutcomes = ['accepted', 'unauthorized', 'too_large', 'error', 'invalid'] as const;

const outcomeByStatus = (status: number): (typeof webhookOutcomes)[number] =>
  status === 202
    ? 'accepted'
    : status === 401 || status === 403
      ? 'unauthorized'
      : status === 413
        ? 'too_large'
        : status >= 500
          ? 'error'
          : 'invalid';

export function webhookRoutes(app: FastifyInstance, deps: Deps): void {
  const { metrics, store, policies, registry, clock } = deps;

  /** Commits what is new in the delivery; the body of the 202. */
  async function commit(payload: WebhookPayload, received: ReceivedAlert[], log: FastifyBaseLogger) {
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
    const table = policies.current();
    const alerts = received.map((alert) => ({
      alert,
      outcomes: known.has(alertIdentity(alert)) ? [] : evaluateAlert(table, alert, registry),
    }));
    const result = await store.ingest({
      receivedAt: clock.now().toISOString(),
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

  app.post(
    '/v1/alertmanager',
    {
      config: { scope: 'alertmanager' },
      schema: {
        summary: 'Alertmanager webhook receiver (payload version 4)',
        description:
          'Commits every alert durably before answering 202. Re-deliveries of the same alert (fingerprint + startsAt) change nothing. 503 means the delivery was not acknowledged (the store could not commit within SALVE_DELIVERY_DEADLINE): Alertmanager retries, and whatever did get committed is deduplicated.',
        tags: ['alertmanager'],
        body: z.toJSONSchema(webhookPayloadSchema, { io: 'input', unrepresentable: 'any' }),
      },
      onResponse: async (_request, reply) => {
        metrics.webhookRequests.inc({ outcome: outcomeByStatus(reply.statusCode) });
      },
    },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const payload = parseOrThrow(webhookPayloadSchema, request.body, 'SALVE_WEBHOOK_INVALID');
      const received = payload.alerts.map(normaliseAlert);
      for (const alert of received) metrics.alertsReceived.inc({ status: alert.status });
      // Well before Alertmanager gives up: a store that cannot commit in time costs a retry, never a lost alert.
      const answer = await withinDeadline(
        commit(payload, received, request.log),
        deps.config.deliveryDeadline,
        'committing the delivery',
      );
      metrics.webhookAckSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return reply.status(202).send(answer);
    },
  );
}
