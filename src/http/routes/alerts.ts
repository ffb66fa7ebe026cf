import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow } from '../validate.js';

const alertQuery = z.object({
  fingerprint: z.string().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  cursor: z.string().regex(/^\d+$/, 'expected a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export function alertRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/alerts',
    {
      config: { scope: 'viewer' },
      schema: { summary: 'Alerts received (each identity once), oldest first', tags: ['alertmanager'] },
    },
    async (request) => {
      const q = parseOrThrow(alertQuery, request.query);
      const alerts = await deps.store.listAlerts({
        fingerprint: q.fingerprint,
        status: q.status,
        afterId: q.cursor ? Number(q.cursor) : undefined,
        limit: q.limit,
      });
      const last = alerts.at(-1);
      return { alerts, nextCursor: alerts.length === q.limit && last ? String(last.id) : null };
    },
  );
}
