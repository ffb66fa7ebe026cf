import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { targetKeyPattern, targetKeyShape } from '../../domain/target.js';
import { pause, pauseState, resetBreaker, resume } from '../../service/pause.js';
import { actorOf } from '../actor.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow } from '../validate.js';

const pauseBody = z.object({ reason: z.string().max(1000).optional() }).default({});
const resetBody = z.object({
  target: z.string().regex(targetKeyPattern, `expected ${targetKeyShape}`),
});

/** The kill switch: alerts are still received and recorded; nothing is acted on. Survives restarts. */
export function pauseRoutes(app: FastifyInstance, deps: AppDeps): void {
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
      return pause({ ...deps, log: request.log }, { actor: actorOf(request), reason });
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
      return resume({ ...deps, log: request.log }, { actor: actorOf(request), reason });
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
      return resetBreaker(deps, { actor: actorOf(request), target });
    },
  );
}
