import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { auditTypes } from '../../domain/audit.js';
import { decideApproval } from '../../engine/approvals.js';
import { SalveError } from '../../errors.js';
import { evaluateLabels } from '../../policy/evaluate.js';
import { canonicalJson } from '../../store/audit-chain.js';
import { healView } from '../heal-view.js';
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

const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export function healCommandRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, clock } = deps;
  const actorOf = (request: { principal: { name: string } | null }) =>
    `token:${request.principal?.name ?? 'anonymous'}`;

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
    },
    async (request, reply) => {
      const body = parseOrThrow(manualHeal, request.body);
      const keyHeader = request.headers['idempotency-key'];
      const key =
        keyHeader === undefined
          ? null
          : parseOrThrow(idempotencyKey, keyHeader, 'SALVE_REQUEST_INVALID', 'Idempotency-Key: ');
      const actor = actorOf(request);
      const outcome = evaluateLabels(
        deps.policies.current(),
        body.policy,
        body.labels,
        body.annotations,
        deps.registry,
      );
      if (outcome.outcome === 'refused') {
        await store.appendAudit([
          {
            type: auditTypes.policyRefused,
            actor,
            healId: null,
            policy: body.policy,
            target: null,
            outcome: outcome.reason,
            data: { manual: true, reason: body.reason, labels: body.labels, detail: outcome.detail },
          },
        ]);
        throw new SalveError(
          'SALVE_HEAL_REFUSED',
          `policy ${body.policy} refuses: ${outcome.reason}: ${outcome.detail}`,
        );
      }
      const { heal, created } = await store.openManualHeal({
        policy: body.policy,
        targetKey: outcome.targetKey,
        target: outcome.target,
        steps: outcome.steps,
        dryRun: body.dryRun || deps.config.dryRun,
        actor,
        reason: body.reason,
        force: body.force,
        idempotencyKey: key,
        // What the key stands for: the same key must come with the same request.
        requestDigest: key === null ? null : createHash('sha256').update(canonicalJson(body)).digest('hex'),
        at: clock.now().toISOString(),
      });
      if (created) {
        deps.metrics.healsOpened.inc({ policy: heal.policy });
        deps.engine.poke();
      }
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
        const heal = await decideApproval(deps.engineDeps, {
          id,
          decision,
          actor: actorOf(request),
          at: clock.now().toISOString(),
          comment,
        });
        if (decision === 'approve') deps.engine.poke();
        return { heal: healView(heal) };
      },
    );
  }
}
