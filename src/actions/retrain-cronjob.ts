import { z } from 'zod';
import { ActionFailed } from '../errors.js';
import type { Action, TargetRef } from './types.js';

export const retrainCronjobParams = z.object({ cronJob: z.string().min(1).max(253).optional() }).strict();
export type RetrainCronjobParams = z.infer<typeof retrainCronjobParams>;

export const retrainCronjob: Action<RetrainCronjobParams> = {
  kind: 'retrain.cronjob',
  summary: 'Start a retraining Job from a CronJob, like kubectl create job --from=cronjob/NAME',
  params: retrainCronjobParams,
  targetKinds: ['CronJob', 'Deployment', 'StatefulSet', 'DaemonSet'],
  example: { cronJob: 'retrain-scorer' },
  rbac: [],
  describe(target: TargetRef, params: RetrainCronjobParams): string {
    return `would create a Job from CronJob ${target.namespace}/${params.cronJob ?? target.name}`;
  },
  async run() {
    throw new ActionFailed('SALVE_ACTION_FAILED', 'retrain.cronjob is not implemented yet');
  },
};
