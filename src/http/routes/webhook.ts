import type { FastifyInstance } from 'fastify';
import { fastWebhookPayload, webhookPayloadJsonSchema } from '../../alerts/fast-parse.js';
import { webhookPayloadSchema } from '../../alerts/schema.js';
import { createCommittedAlerts } from '../../service/committed-alerts.js';
import { bodyDigest, createDeliveryMemo, type KnownDelivery } from '../../service/delivery-memo.js';
import { answerKnown, type IngestDeps, ingestDelivery } from '../../service/ingest-delivery.js';
import type { AppDeps } from '../app-deps.js';
import { withinDeadline } from '../deadline.js';
import { requestSpans } from '../request-span.js';
import { parseOrThrow } from '../validate.js';
import { jsonBodyParser } from '../well-formed.js';

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

/**
 * A delivery's body as the content-type parser hands it to this route: its exact bytes, their digest, and the
 * delivery they were when answered 202 before (else the handler parses them). Only that parser makes one: a
 * body parsed from JSON is plain data, which cannot carry a private field. Route validation passes it
 * untouched: the route's JSON Schema is for the docs (app.ts), the handler validates.
 */
class DeliveryBytes {
  readonly #delivery = true;
  constructor(
    readonly bytes: Buffer,
    readonly digest: string,
    readonly known: KnownDelivery | undefined,
  ) {}
  static of(body: unknown): DeliveryBytes | null {
    return typeof body === 'object' && body !== null && #delivery in body ? body : null;
  }
}

export function webhookRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { metrics } = deps;
  const spans = requestSpans(deps.tracer, deps.auth);
  const { store, policies, registry, clock, engine, config, owners, tracer } = deps;
  // The set of alerts this process saw committed: one per app. On SQLite this process is the only one that
  // commits alerts; several replicas share a PostgreSQL.
  const committed = createCommittedAlerts(
    deps.storeHealth,
    store.kind === 'sqlite' ? { sole: { clock } } : {},
  );
  // Deliveries answered before, by their body's digest: one per app, like the committed set.
  const memo = createDeliveryMemo();
  const parseJson = jsonBodyParser(app);
  const ingest: IngestDeps = {
    store,
    policies,
    registry,
    clock,
    metrics,
    engine,
    config,
    owners,
    tracer,
    committed,
  };

  app.post(
    '/v1/alertmanager',
    {
      config: {
        scope: 'alertmanager',
        // After authentication, the size limit and the content type; parsed in the handler unless recognised.
        takeBodyBytes: (bytes) => {
          const digest = bodyDigest(bytes);
          return new DeliveryBytes(bytes, digest, memo.recall(digest));
        },
      },
      schema: {
        summary: 'Alertmanager webhook receiver (payload version 4)',
        description:
          'Commits every alert durably before answering 202. Re-deliveries of the same alert (fingerprint + startsAt) change nothing. 503 means the delivery was not acknowledged (the store could not commit within SALVE_DELIVERY_DEADLINE): Alertmanager retries, and whatever did get committed is deduplicated.',
        tags: ['alertmanager'],
        body: webhookPayloadJsonSchema,
      },
      onResponse: async (request, reply) => {
        metrics.webhookRequests.inc({ outcome: outcomeByStatus(reply.statusCode) });
        await spans.end(request, reply);
      },
    },
    async (request, reply) => {
      const sent = DeliveryBytes.of(request.body);
      const known = sent?.known;
      // Bytes not recognised are parsed first, as any route's body is (a malformed one makes no span).
      let body = sent === null ? request.body : known === undefined ? parseJson(request, sent.bytes) : null;
      const started = process.hrtime.bigint();
      const span = spans.start(request);
      // The same bytes as a delivery answered before: the same answer, if its alerts are still known committed.
      let answer = known === undefined ? null : answerKnown(ingest, known, span);
      if (answer === null) {
        // Recognised, but an alert of it is no longer known committed: the long way, from its bytes.
        if (sent !== null && known !== undefined) body = parseJson(request, sent.bytes);
        const payload =
          fastWebhookPayload(body) ?? parseOrThrow(webhookPayloadSchema, body, 'SALVE_WEBHOOK_INVALID');
        const delivered = ingestDelivery(ingest, payload, request.log, span);
        // Well before Alertmanager gives up: a store that cannot commit in time costs a retry, never a lost
        // alert. A re-delivery answered from memory waits for nothing: no deadline to keep.
        answer =
          delivered.answer instanceof Promise
            ? await withinDeadline(delivered.answer, deps.config.deliveryDeadline, 'committing the delivery')
            : delivered.answer;
        // Answered 202: every alert in it is committed. Its bytes, sent again, are answered by their digest.
        if (sent !== null) memo.remember(sent.digest, delivered.known);
      }
      metrics.webhookAckSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      // The request's completion line says what the delivery came to; each heal opened has its own line.
      request.logFacts = {
        delivery: answer.delivery,
        alerts: answer.alerts,
        heals: { opened: answer.heals.opened.length, attached: answer.heals.attached.length },
        refused: answer.refused,
        deferred: answer.deferred,
      };
      return reply.status(202).send(answer);
    },
  );
}
