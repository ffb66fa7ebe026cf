import { z } from 'zod';
import { authSchema, httpFields, stringMapSchema } from '../http/params.js';

// Airflow's own rule for DAG ids; `.` and `..` alone would walk out of the /dags/ path.
const dagId = z
  .string()
  .max(250)
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected an Airflow DAG id (letters, digits, _ . -)')
  .refine((id) => id !== '.' && id !== '..', { error: 'expected an Airflow DAG id' });

export const airflowParams = z.strictObject({
  ...httpFields,
  dag: dagId.describe('the DAG id to trigger'),
  version: z
    .union([z.literal(2), z.literal(3)])
    .default(2)
    .describe('Airflow major version: 2 (/api/v1, basic auth) or 3 (/api/v2, token from /auth/token)'),
  auth: authSchema.optional(),
  conf: stringMapSchema.optional().describe('the DAG run conf; values may use {{ labels.X }}'),
  waitForCompletion: z
    .boolean()
    .default(false)
    .describe('verify.rollout waits for the DAG run to succeed (and fails the step when it fails)'),
  unpause: z
    .boolean()
    .default(false)
    .describe(
      'unpause a paused DAG before triggering it; default false: a paused DAG is refused, since Airflow would queue the run and never start it',
    ),
});
export type AirflowParams = z.infer<typeof airflowParams>;
