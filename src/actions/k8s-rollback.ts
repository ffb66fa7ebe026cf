import { z } from 'zod';
import type { WorkloadKind } from '../kube/port.js';
import { retryOnConflict } from './k8s-conflict.js';
import { eventRule } from './k8s-rbac.js';
import { targetLabel, workloadKindOf } from './k8s-target.js';
import { undoDeployment } from './rollout-deployment-undo.js';
import { undoFromHistory } from './rollout-history-undo.js';
import { readRolloutStatus } from './rollout-status.js';
import type { Action, TargetRef } from './types.js';

export const rollbackParams = z
  .object({
    toRevision: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('revision to roll back to (as in kubectl rollout history); default: the previous one'),
  })
  .strict();

export type RollbackParams = z.infer<typeof rollbackParams>;

const kinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

export const k8sRollback: Action<RollbackParams> = {
  kind: 'k8s.rollback',
  summary:
    'Roll a Deployment, StatefulSet or DaemonSet back to its previous (or a given) revision, like kubectl rollout undo',
  params: rollbackParams,
  targetKinds: kinds,
  example: { toRevision: 3 },
  rbac: [
    {
      apiGroups: ['apps'],
      resources: ['deployments', 'statefulsets', 'daemonsets'],
      verbs: ['get', 'patch'],
    },
    { apiGroups: ['apps'], resources: ['replicasets', 'controllerrevisions'], verbs: ['list'] },
    eventRule,
  ],

  describe(target: TargetRef, params: RollbackParams): string {
    const to = params.toRevision === undefined ? 'the previous revision' : `revision ${params.toRevision}`;
    return `would roll back ${targetLabel(target)} to ${to}`;
  },

  async run(ctx, params) {
    const kind = workloadKindOf(ctx.target, 'k8s.rollback', kinds);
    const toRevision = params.toRevision ?? 0;
    return retryOnConflict(() =>
      kind === 'Deployment' ? undoDeployment(ctx, toRevision) : undoFromHistory(ctx, kind, toRevision),
    );
  },

  rolloutStatus(ctx) {
    return readRolloutStatus(ctx, 'k8s.rollback', kinds);
  },
};
