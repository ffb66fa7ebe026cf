import { z } from 'zod';
import { authSchema, httpFields, positiveIntSchema } from '../http/params.js';

export const mlflowAliasParams = z.strictObject({
  ...httpFields,
  model: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[^'"\\]+$/, 'expected a registered model name without quotes or backslashes')
    .describe('the registered model'),
  alias: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,255}$/, 'expected an MLflow alias (letters, digits, _ and -)')
    .refine((a) => a !== 'latest' && !/^v\d+$/i.test(a), { error: 'MLflow reserves latest and v<N>' })
    .default('champion')
    .describe('the alias to move; default champion'),
  toVersion: positiveIntSchema
    .optional()
    .describe('the version to move the alias to; default: the newest READY version older than the current'),
  requireTags: z
    .record(z.string().min(1).max(250), z.string().max(5000))
    .optional()
    .describe(
      'tag values a version must carry to be moved to, e.g. { validation_status: passed }: a lower version number alone is no proof of a good model',
    ),
  auth: authSchema.optional(),
});
export type MlflowAliasParams = z.infer<typeof mlflowAliasParams>;
