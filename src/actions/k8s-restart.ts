import { z } from 'zod';
import { ActionFailed } from '../errors.js';
import type { Action, TargetRef } from './types.js';

export const restartParams = z.object({}).strict();
export type RestartParams = z.infer<typeof restartParams>;

export const k8sRestart: Action<RestartParams> = {
  kind: 'k8s.restart',
  summary: 'Restart the pods of a Deployment, StatefulSet or DaemonSet, like kubectl rollout restart',
  params: restartParams,
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
  example: {},
  rbac: [],
  describe(target: TargetRef): string {
    return `would restart ${target.kind} ${target.namespace}/${target.name}`;
  },
  async run() {
    throw new ActionFailed('SALVE_ACTION_FAILED', 'k8s.restart is not implemented yet');
  },
};
