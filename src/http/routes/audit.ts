import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { timestamp } from '../../alerts/schema.js';
import { parseCheckpoint } from '../../store/audit-verify.js';
import type { AuditPage } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow, querySchema } from '../validate.js';

const auditQuery = z.object({
  since: timestamp.optional(),
  until: timestamp.optional(),
  policy: z.string().optional(),
  target: z.string().optional(),
  heal: z.string().optional(),
  type: z.string().optional(),
  outcome: z.string().optional(),
  /** `desc`: newest first, and the cursor pages toward older records. */
  order: z.enum(['asc', 'desc']).default('asc'),
  cursor: z.string().regex(/^\d+$/, 'expected a cursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const verifyQuery = z.object({
  full: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true'),
  expect: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return undefined;
      const checkpoint = parseCheckpoint(text);
      if (checkpoint) return checkpoint;
      ctx.addIssue({ code: 'custom', message: 'expected SEQ:HEAD, a checkpoint as salve logs it' });
      return z.NEVER;
    }),
});

export function auditRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { store } = deps;
  app.get(
    '/v1/audit',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'Audit records, oldest first (or newest first: order=desc), with filters and a cursor',
        tags: ['audit'],
        querystring: querySchema(auditQuery),
      },
    },
    async (request): Promise<AuditPage> => {
      const q = parseOrThrow(auditQuery, request.query);
      const desc = q.order === 'desc';
      const cursor = q.cursor ? Number(q.cursor) : undefined;
      const records = await store.queryAudit({
        since: q.since && new Date(q.since).toISOString(),
        until: q.until && new Date(q.until).toISOString(),
        policy: q.policy,
        target: q.target,
        healId: q.heal,
        type: q.type,
        outcome: q.outcome,
        afterSeq: desc ? undefined : cursor,
        beforeSeq: desc ? cursor : undefined,
        newestFirst: desc,
        limit: q.limit,
      });
      const last = records.at(-1);
      return { records, nextCursor: records.length === q.limit && last ? String(last.seq) : null };
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { scope: 'viewer' },
      schema: {
        summary: 'Verify the sealed audit chain; names every broken record',
        description:
          'By default checks the records added since the last verified checkpoint; `full=true` walks the whole ' +
          'chain, `expect=SEQ:HEAD` (a checkpoint salve published) also proves nothing up to it was deleted or ' +
          'rewritten. The walk yields to the event loop: webhooks are not held up.',
        tags: ['audit'],
      },
    },
    async (request) => {
      const q = parseOrThrow(verifyQuery, request.query);
      if (q.expect || q.full) return deps.anchor.verifyAll(q.expect);
      return deps.anchor.verifyNew();
    },
  );
}
