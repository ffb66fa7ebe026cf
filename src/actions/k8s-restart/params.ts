import { z } from 'zod';

export const restartParams = z.object({}).strict();
export type RestartParams = z.infer<typeof restartParams>;
