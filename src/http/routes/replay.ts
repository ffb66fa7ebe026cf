import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SalveError } from '../../errors.js';
import { candidateFromTexts } from '../../service/replay/candidate.js';
import { replayPolicies } from '../../service/replay/replay.js';
import { linesHistory } from '../../service/replay/sources.js';
import { parseWindow } from '../../service/stats.js';
import type { ReplayReport } from '../api-types.js';
import type { AppDeps } from '../app-deps.js';
import { parseOrThrow } from '../validate.js';

const replayBody = z.strictObject({
  /** The candidate table, as policy files; absent: the table in force. */
  policies: z
    .array(
      z.strictObject({
        file: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$/, 'expected a file name like serving.yaml'),
        content: z.string().max(1_000_000),
      }),
    )
    .min(1)
    .max(100)
    .optional(),
  /** Replay the store's alert history of this window (default 7d)... */
  since: z.string().max(32).optional(),
  /** ...or these deliveries: Alertmanager payloads with their `receivedAt`, in receipt order. */
  deliveries: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000).optional(),
  /** Heals listed in the answer (every heal is counted). */
  listHeals: z.number().int().min(0).max(5000).default(500),
});

export function replayRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post(
    '/v1/policies/replay',
    {
      config: { scope: 'operator' },
      schema: {
        summary:
          'Backtest a policy table on the recorded alerts in virtual time: heals, actions, refusals, and the difference from what happened (nothing is written, no request leaves salve)',
        tags: ['policies'],
      },
    },
    async (request): Promise<ReplayReport> => {
      const body = parseOrThrow(replayBody, request.body ?? {});
      if (body.since !== undefined && body.deliveries !== undefined) {
        throw new SalveError(
          'SALVE_REQUEST_INVALID',
          'give either since (the store’s history) or deliveries, not both',
        );
      }
      const current = deps.policies.current();
      const table = body.policies
        ? candidateFromTexts(
            body.policies.map((p) => ({ file: p.file, text: p.content })),
            deps,
          )
        : current;
      const source = body.deliveries
        ? {
            kind: 'file' as const,
            deliveries: linesHistory(
              body.deliveries.map((d) => JSON.stringify(d)),
              'deliveries',
            ),
          }
        : { kind: 'store' as const, sinceMs: parseWindow(body.since ?? '7d', 'since') };
      return replayPolicies(
        { registry: deps.registry, clock: deps.clock, settings: deps.engineDeps.settings, store: deps.store },
        { table, current, source, listHeals: body.listHeals },
      );
    },
  );
}
