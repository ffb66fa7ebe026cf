import { z } from 'zod';
import { ActionFailed } from '../errors.js';
import type { Action, TargetRef } from './types.js';

export const rollbackParams = z
  .object({
    toRevision: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('revision to roll back to; default: the previous one'),
  })
  .strict();

export type RollbackParams = z.infer<typeof rollbackParams>;

export const k8sRollback: Action<RollbackParams> = {
  kind: 'k8s.rollback',
  summary:
    'Roll a Deployment, StatefulSet or DaemonSet back to its previous (or a given) revision, like kubectl rollout undo',
  params: rollbackParams,
  targetKinds: ['Deployment', 'StatefulSet', 'DaemonSet'],
  example: { toRevision: 3 },
  rbac: [],
  describe(target: TargetRef, params: RollbackParams): string {
    const to = params.toRevision === undefined ? 'the previous revision' : `revision ${params.toRevision}`;
    return `would roll back ${target.kind} ${target.namespace}/${target.name} to ${to}`;
  },
  async run() {
    throw new ActionFailed('SALVE_ACTION_FAILED', 'k8s.rollback is not implemented yet');
  },
};
