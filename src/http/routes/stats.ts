import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { effectivenessReport, parseWindow } from '../../service/stats.js';
import type { StatsReport } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow, querySchema } from '../validate.js';

const statsQuery = z.object({
  /** How far back: a duration such as 30d (the default), 7d or 12h. */
  since: z.string().max(32).default('30d'),
});

export function statsRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/stats',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'Heal effectiveness over a window: per policy and step, and the most-healed targets',
        tags: ['stats'],
        querystring: querySchema(statsQuery),
      },
    },
    async (request): Promise<StatsReport> => {
      const { since } = parseOrThrow(statsQuery, request.query);
      return effectivenessReport(deps, parseWindow(since, 'since'));
    },
  );
}
