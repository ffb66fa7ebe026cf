import { z } from 'zod';

export const rollbackParams = z
  .strictObject({
    toRevision: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('an exact revision to roll back to (as in kubectl rollout history); excludes mode'),
    mode: z
      .enum(['lastKnownGood', 'previous'])
      .optional()
      .describe(
        'lastKnownGood (default): the newest revision whose pod template differs from the current one in more than restart markers; previous: the revision before the newest, exactly as kubectl rollout undo',
      ),
    includeAfterAlertStart: z
      .boolean()
      .optional()
      .describe(
        'lastKnownGood only: also consider revisions created after the alert began (default false: only releases that ran before the incident)',
      ),
  })
  .refine((p) => p.toRevision === undefined || p.mode === undefined, {
    error: 'toRevision names an exact revision: leave mode out',
    path: ['mode'],
  })
  .refine(
    (p) => p.includeAfterAlertStart === undefined || (p.toRevision === undefined && p.mode !== 'previous'),
    {
      error: 'includeAfterAlertStart applies to mode lastKnownGood only',
      path: ['includeAfterAlertStart'],
    },
  );

export type RollbackParams = z.infer<typeof rollbackParams>;
