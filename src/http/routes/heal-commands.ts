import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decideApproval } from '../../service/decide-approval.js';
import { openManualHeal } from '../../service/manual-heal.js';
import { actorOf } from '../actor.js';
import type { AppDeps } from '../app-deps.js';
import { healViewer } from '../heal-view.js';
import { requestSpans } from '../request-span.js';
import { parseOrThrow } from '../validate.js';

const manualHeal = z.object({
  policy: z.string().min(1),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  reason: z.string().trim().min(1, 'say why: the reason is kept in the audit log').max(1000),
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
});

const decisionBody = z.object({ comment: z.string().max(1000).optional() }).default({});

const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export function healCommandRoutes(app: FastifyInstance, deps: AppDeps): void {
  const healView = healViewer(deps.config.traceUrl ?? null);
  const spans = requestSpans(deps.tracer, deps.auth);
  app.post(
    '/v1/heals',
    {
      config: { scope: 'operator' },
      schema: {
        summary: 'Open a heal by hand: labels fill the policy templates as an alert would',
        description:
          '`force` skips the cooldown, never `allow` or the heal-loop breaker. The same Idempotency-Key returns the same heal.',
        tags: ['heals'],
      },
      onResponse: spans.end,
    },
    async (request, reply) => {
      const span = spans.start(request);
      const body = parseOrThrow(manualHeal, request.body);
      const keyHeader = request.headers['idempotency-key'];
      const idempotencyKey =
        keyHeader === undefined
          ? null
          : parseOrThrow(idempotencyKeySchema, keyHeader, 'SALVE_REQUEST_INVALID', 'Idempotency-Key: ');
      const { heal, created } = await openManualHeal(deps, body, {
        actor: actorOf(request),
        idempotencyKey,
        span,
      });
      return reply.status(created ? 201 : 200).send({ heal: healView(heal), created });
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(
      `/v1/heals/:id/${decision}`,
      {
        config: { scope: 'operator' },
        schema: {
          summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a heal that waits for approval`,
          tags: ['heals'],
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        const { comment } = parseOrThrow(decisionBody, request.body ?? {});
        const heal = await decideApproval(deps, {
          id,
          decision,
          actor: actorOf(request),
          at: deps.clock.now().toISOString(),
          comment,
          via: 'api',
        });
        return { heal: healView(heal) };
      },
    );
  }
}
