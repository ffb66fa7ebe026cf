import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import { SalveError } from '../../errors.js';
import { healStates } from '../../store/types.js';
import { healView } from '../heal-view.js';
import { parseOrThrow } from '../validate.js';

const listQuery = z.object({
  state: z.enum(healStates).optional(),
  policy: z.string().optional(),
  target: z.string().optional(),
  cursor: z
    .string()
    .regex(/^heal_[0-9a-z]{26}$/, 'expected a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function healRoutes(app: FastifyInstance, deps: Deps): void {
  const { store } = deps;
  app.get(
    '/v1/heals',
    { config: { scope: 'viewer' }, schema: { summary: 'List heals, newest first', tags: ['heals'] } },
    async (request) => {
      const q = parseOrThrow(listQuery, request.query);
      const heals = await store.listHeals({ ...q, beforeId: q.cursor, limit: q.limit });
      const last = heals.at(-1);
      return { heals: heals.map(healView), nextCursor: heals.length === q.limit && last ? last.id : null };
    },
  );

  app.get(
    '/v1/heals/:id',
    {
      config: { scope: 'viewer' },
      schema: { summary: 'One heal: state, alerts and timeline', tags: ['heals'] },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const heal = await store.getHeal(id);
      if (!heal) throw new SalveError('SALVE_HEAL_NOT_FOUND', `no heal ${id}`);
      const [alerts, timeline] = await Promise.all([
        store.healAlerts(id),
        store.queryAudit({ healId: id, limit: 1000 }),
      ]);
      return { heal: healView(heal), alerts, timeline };
    },
  );
}
