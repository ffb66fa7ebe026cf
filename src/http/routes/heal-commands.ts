import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { SalveError } from '../../errors.js';
import { evaluateLabels } from '../../policy/evaluate.js';
import { auditTypes } from '../../store/audit-types.js';
import { parseOrThrow } from '../validate.js';

const manualHeal = z.object({
  policy: z.string().min(1),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  reason: z.string().trim().min(1, 'say why: the reason is kept in the audit log').max(1000),
  dryRun: z.boolean().default(false),
  force: z.boolean().default(false),
});

const decision = z.object({ comment: z.string().max(1000).optional() }).default({});

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
        at: clock.now().toISOString(),
      });
      if (created) {
        deps.metrics.healsOpened.inc({ policy: heal.policy });
        deps.engine.poke();
      }
      return reply.status(created ? 201 : 200).send({ heal, created });
    },
  );

  app.post(
    '/v1/heals/:id/approve',
    {
      config: { scope: 'operator' },
      schema: { summary: 'Approve a heal that waits for approval', tags: ['heals'] },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { comment } = parseOrThrow(decision, request.body ?? {});
      const by = actorOf(request);
      const at = clock.now().toISOString();
      const heal = await decide(deps, id, async (h) =>
        store.transition({
          id,
          owner: null,
          expectState: 'awaiting_approval',
          // Back through the guards: pause, cooldown and limits may have changed while it waited.
          set: {
            state: 'pending',
            phase: 'guards',
            approvedBy: by,
            approvedAt: at,
            nextRunAt: at,
            deadlineAt: null,
            reason: 'approved',
          },
          audit: [
            {
              type: auditTypes.approvalGranted,
              actor: by,
              healId: id,
              policy: h.policy,
              target: h.targetKey,
              outcome: 'approved',
              data: { comment },
            },
          ],
        }),
      );
      deps.engine.poke();
      return { heal };
    },
  );

  app.post(
    '/v1/heals/:id/reject',
    {
      config: { scope: 'operator' },
      schema: { summary: 'Reject a heal that waits for approval', tags: ['heals'] },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { comment } = parseOrThrow(decision, request.body ?? {});
      const by = actorOf(request);
      const at = clock.now().toISOString();
      const heal = await decide(deps, id, (h) =>
        store.transition({
          id,
          owner: null,
          expectState: 'awaiting_approval',
          set: {
            state: 'cancelled',
            phase: 'done',
            nextRunAt: null,
            deadlineAt: null,
            reason: 'rejected',
            closedAt: at,
          },
          audit: [
            {
              type: auditTypes.approvalRejected,
              actor: by,
              healId: id,
              policy: h.policy,
              target: h.targetKey,
              outcome: 'rejected',
              data: { comment },
            },
          ],
          releaseLease: true,
        }),
      );
      deps.metrics.heals.inc({
        policy: heal.policy,
        action: heal.steps[heal.step]?.action ?? 'none',
        outcome: 'cancelled',
      });
      return { heal };
    },
  );
}

async function decide<T>(
  deps: Deps,
  id: string,
  apply: (heal: { policy: string; targetKey: string }) => Promise<T>,
): Promise<T> {
  const heal = await deps.store.getHeal(id);
  if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${id}`);
  if (heal.state !== 'awaiting_approval') {
    throw new SalveError('SALVE_HEAL_CONFLICT', `heal ${id} is ${heal.state}, not awaiting approval`);
  }
  return apply(heal);
}
