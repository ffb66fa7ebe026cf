import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { type Heal, type HealState, healStates, openHealStates } from '../../domain/heal.js';
import { SalveError } from '../../errors.js';
import type { HealQuery } from '../../store/types.js';
import type { HealDetail, HealList } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { healViewer } from '../heal-view.js';
import { parseOrThrow, querySchema } from '../validate.js';

const listQuery = z.object({
  /** A state, or `open`: every heal still in progress (pending, awaiting approval, running, verifying). */
  state: z.enum([...healStates, 'open']).optional(),
  policy: z.string().optional(),
  target: z.string().optional(),
  cursor: z
    .string()
    .regex(/^heal_[0-9a-z]{26}$/, 'expected a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function healRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store } = deps;
  const healView = healViewer(deps.config.traceUrl ?? null);
  /** `open` spans several states: one indexed read per state, merged newest first (ids sort by time). */
  async function list(state: HealState | 'open' | undefined, query: HealQuery): Promise<Heal[]> {
    if (state !== 'open') return store.listHeals({ ...query, state });
    const perState = await Promise.all(openHealStates.map((state) => store.listHeals({ ...query, state })));
    return perState
      .flat()
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, query.limit);
  }

  app.get(
    '/v1/heals',
    {
      config: { scope: 'viewer' },
      schema: { summary: 'List heals, newest first', tags: ['heals'], querystring: querySchema(listQuery) },
    },
    async (request): Promise<HealList> => {
      const q = parseOrThrow(listQuery, request.query);
      const { state, policy, target, cursor, limit } = q;
      const heals = await list(state, { policy, target, beforeId: cursor, limit });
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
    async (request): Promise<HealDetail> => {
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
