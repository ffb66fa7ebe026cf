import { z } from 'zod';

const replicaCount = z.number().int().min(0);

export const scaleParams = z.union([
  z.object({ replicas: replicaCount.describe('absolute replica count') }).strict(),
  z
    .object({
      by: z
        .number()
        .int()
        .refine((n) => n !== 0, 'must not be 0')
        .describe('replicas to add (negative: remove), once per heal step'),
      min: replicaCount.optional().describe('never scale below this'),
      max: replicaCount.optional().describe('never scale above this'),
    })
    .strict()
    .refine((p) => p.min === undefined || p.max === undefined || p.min <= p.max, {
      message: 'min must not exceed max',
      path: ['min'],
    }),
]);
export type ScaleParams = z.infer<typeof scaleParams>;
