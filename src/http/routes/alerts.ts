import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { timestamp } from '../../alerts/schema.js';
import { normaliseTimestamp } from '../../alerts/timestamp.js';
import { alertStartWindowDays, alertStartWindowMs } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow, querySchema } from '../validate.js';

const startTime = timestamp.transform(normaliseTimestamp);

const alertQuery = z
  .object({
    fingerprint: z
      .string()
      .max(128)
      .optional()
      .describe('one alert (Alertmanager fingerprint); needs `startsAt` or `startedSince`'),
    startsAt: startTime.optional().describe('alerts that started at this instant (RFC 3339): an identity'),
    startedSince: startTime
      .optional()
      .describe(
        `alerts that started at or after this instant (RFC 3339); a window of ${alertStartWindowDays} days at most`,
      ),
    startedUntil: startTime
      .optional()
      .describe(
        `alerts that started before this instant; default and at most \`startedSince\` + ${alertStartWindowDays} days`,
      ),
    status: z.enum(['firing', 'resolved']).optional().describe('needs `startsAt` or `startedSince`'),
    cursor: z.string().regex(/^\d+$/, 'expected a cursor from a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .superRefine((q, ctx) => {
    // Neither filter is a prefix of an index: without a start time, either would read every alert.
    for (const name of ['fingerprint', 'status'] as const)
      if (q[name] !== undefined && q.startsAt === undefined && q.startedSince === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `needs startsAt (one start time) or startedSince (a window of ${alertStartWindowDays} days at most): alerts are found by their start time first`,
        });
    if (q.startsAt !== undefined && (q.startedSince !== undefined || q.startedUntil !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['startsAt'],
        message: 'either startsAt or a window (startedSince, startedUntil), not both',
      });
    if (q.startedUntil !== undefined && q.startedSince === undefined)
      ctx.addIssue({ code: 'custom', path: ['startedUntil'], message: 'needs startedSince' });
    if (q.startedSince !== undefined && q.startedUntil !== undefined) {
      const span = Date.parse(q.startedUntil) - Date.parse(q.startedSince);
      if (!(span > 0 && span <= alertStartWindowMs))
        ctx.addIssue({
          code: 'custom',
          path: ['startedUntil'],
          message: `must be after startedSince, by ${alertStartWindowDays} days at most`,
        });
    }
  });

export function alertRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/v1/alerts',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'Alerts received (each identity once), oldest first',
        description:
          'Pages by `cursor` through everything, or through the alerts of one start time (`startsAt`) or of a ' +
          `window of start times (\`startedSince\`, \`startedUntil\`; ${alertStartWindowDays} days at most). ` +
          '`fingerprint` and `status` need one of those: `fingerprint` with `startsAt` is one alert, firing and resolved.',
        tags: ['alertmanager'],
        querystring: querySchema(alertQuery),
      },
    },
    async (request) => {
      const q = parseOrThrow(alertQuery, request.query);
      const since = q.startedSince;
      const alerts = await deps.store.listAlerts({
        fingerprint: q.fingerprint,
        status: q.status,
        startsAt: q.startsAt,
        startedSince: since,
        startedUntil:
          q.startedUntil ??
          (since === undefined ? undefined : new Date(Date.parse(since) + alertStartWindowMs).toISOString()),
        afterId: q.cursor ? Number(q.cursor) : undefined,
        limit: q.limit,
      });
      const last = alerts.at(-1);
      return { alerts, nextCursor: alerts.length === q.limit && last ? String(last.id) : null };
    },
  );
}
