import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { auditTypes } from '../../domain/audit.js';
import { targetKeyPattern, targetKeyShape } from '../../domain/target.js';
import { breakerResetKey, pauseKey } from '../../engine/context.js';
import type { PauseState } from '../api-types.js';
import { parseOrThrow } from '../validate.js';

const pauseBody = z.object({ reason: z.string().max(1000).optional() }).default({});
const resetBody = z.object({
  target: z.string().regex(targetKeyPattern, `expected ${targetKeyShape}`),
});

async function pauseState(deps: Deps): Promise<PauseState> {
  const raw = await deps.store.getSetting(pauseKey);
  return raw ? { paused: true, ...(JSON.parse(raw) as Omit<PauseState, 'paused'>) } : { paused: false };
}

/** The kill switch: alerts are still received and recorded; nothing is acted on. Survives restarts. */
export function pauseRoutes(app: FastifyInstance, deps: Deps): void {
  const actor = (request: { principal: { name: string } | null }) =>
    `token:${request.principal?.name ?? 'anonymous'}`;
  const audit = (type: string, by: string, data: Record<string, unknown>) => ({
    type,
    actor: by,
    healId: null,
    policy: null,
    target: (data.target as string | undefined) ?? null,
    outcome: null,
    data,
  });

  app.get(
    '/v1/pause',
    { config: { scope: 'viewer' }, schema: { summary: 'Whether salve is paused', tags: ['pause'] } },
    async () => pauseState(deps),
  );

  app.put(
    '/v1/pause',
    { config: { scope: 'operator' }, schema: { summary: 'Pause: act on nothing', tags: ['pause'] } },
    async (request) => {
      const { reason } = parseOrThrow(pauseBody, request.body ?? {});
      const by = actor(request);
      const state = { by, at: deps.clock.now().toISOString(), reason };
      // One transaction: a pause is never in force without its audit record, nor the other way round.
      await deps.store.setSetting(pauseKey, JSON.stringify(state), [
        audit(auditTypes.pauseSet, by, { reason }),
      ]);
      deps.metrics.paused.set(1);
      request.log.warn({ by, reason }, 'salve paused');
      return { paused: true, ...state };
    },
  );

  app.delete(
    '/v1/pause',
    {
      config: { scope: 'operator' },
      schema: {
        summary: 'Resume acting; an optional JSON body {reason} is kept in the audit log',
        tags: ['pause'],
      },
    },
    async (request) => {
      const { reason } = parseOrThrow(pauseBody, request.body ?? {});
      const by = actor(request);
      await deps.store.setSetting(pauseKey, null, [
        audit(auditTypes.pauseCleared, by, reason === undefined ? {} : { reason }),
      ]);
      deps.metrics.paused.set(0);
      request.log.warn({ by, reason }, 'salve resumed');
      deps.engine.poke();
      return { paused: false };
    },
  );

  app.post(
    '/v1/breaker/reset',
    {
      config: { scope: 'operator' },
      schema: { summary: 'Reset the heal-loop breaker of a target', tags: ['pause'] },
    },
    async (request) => {
      const { target } = parseOrThrow(resetBody, request.body);
      const by = actor(request);
      const at = deps.clock.now().toISOString();
      await deps.store.setSetting(breakerResetKey(target), at, [
        audit(auditTypes.breakerReset, by, { target }),
      ]);
      return { target, resetAt: at };
    },
  );
}
