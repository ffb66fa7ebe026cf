import { z } from 'zod';

// The name may hold `{{ labels.X }}` until the policy's templates are filled, so its DNS-1123 form is
// checked in run(), on the filled value.
export const retrainCronjobParams = z
  .object({
    cronJob: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe(
        "the CronJob to start, in the target's namespace; default: the target itself when it is a CronJob",
      ),
  })
  .strict();
export type RetrainCronjobParams = z.infer<typeof retrainCronjobParams>;
