import { z } from 'zod';
import { httpFields, secretRefSchema } from '../http/params.js';

// Headers salve sets itself, and names whose values are credentials and so must come from a SecretRef.
const RESERVED = new Set(['idempotency-key', 'content-type', 'content-length', 'host', 'transfer-encoding']);
const SECRET_NAME = /authorization|cookie|token|secret|password|api-?key/i;

const headerEntries = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name')
      .refine((name) => !RESERVED.has(name.toLowerCase()), { error: 'salve sets this header itself' }),
    z.union([z.string(), secretRefSchema]),
  )
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === 'string' && SECRET_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'carries a credential: name it with { env: NAME } or { file: /path }, never the value',
        });
      }
    }
  });

export const webhookParams = z.strictObject({
  ...httpFields,
  body: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'the JSON body; string values may use {{ labels.X }}; default: the heal, policy, step and target',
    ),
  headers: headerEntries
    .optional()
    .describe('extra headers: a literal for plain values, a SecretRef for secrets'),
  token: secretRefSchema.optional().describe('sent as Authorization: Bearer'),
});
export type WebhookParams = z.infer<typeof webhookParams>;
