import { z } from 'zod';

/** Cordon takes no parameters: the Node is the target, and the only change is `spec.unschedulable: true`. */
export const cordonParams = z.object({}).strict();
export type CordonParams = z.infer<typeof cordonParams>;
