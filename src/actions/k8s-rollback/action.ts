import type { WorkloadKind } from '../../kube/port.js';
import { retryOnConflict } from '../k8s/conflict.js';
import { eventRule } from '../k8s/rbac.js';
import { readRolloutStatus } from '../k8s/rollout-status.js';
import { workloadKindOf } from '../k8s/target.js';
import { targetLabel } from '../step.js';
import type { Action, ActionContext, TargetRef } from '../types.js';
import type { RollbackRequest } from './choice.js';
import { previewDeploymentUndo, undoDeployment } from './deployment-undo.js';
import { previewHistoryUndo, undoFromHistory } from './history-undo.js';
import { type RollbackParams, rollbackParams } from './params.js';

const kinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

function request(ctx: ActionContext, params: RollbackParams): RollbackRequest {
  return {
    toRevision: params.toRevision,
    mode: params.mode ?? 'lastKnownGood',
    includeAfterAlertStart: params.includeAfterAlertStart === true,
    alertStartedAt: ctx.heal.alertStartedAt,
  };
}

export const k8sRollback: Action<RollbackParams> = {
  kind: 'k8s.rollback',
  summary:
    'Roll a Deployment, StatefulSet or DaemonSet back to its last known good release (or the previous or a given revision), like kubectl rollout undo',
  params: rollbackParams,
  targetKinds: kinds,
  example: { mode: 'lastKnownGood' },
  rbac: [
    {
      apiGroups: ['apps'],
      resources: ['deployments', 'statefulsets', 'daemonsets'],
      verbs: ['get', 'patch'],
      why: 'read the workload, patch its pod template',
    },
    {
      apiGroups: ['apps'],
      resources: ['replicasets', 'controllerrevisions'],
      verbs: ['list'],
      why: 'read the rollout history (ReplicaSets for Deployments, ControllerRevisions for the others)',
    },
    eventRule,
  ],
  dataParams: {
    toRevision: 'which revision of the (bounded) target',
    mode: 'how the revision is chosen (an enum: a template cannot fill it)',
    includeAfterAlertStart: 'whether newer revisions count (a boolean)',
  },

  describe(target: TargetRef, params: RollbackParams): string {
    if (params.toRevision !== undefined) {
      return `would roll back ${targetLabel(target)} to revision ${params.toRevision}`;
    }
    if (params.mode === 'previous') {
      return `would roll back ${targetLabel(target)} to the previous revision (as kubectl rollout undo)`;
    }
    const when = params.includeAfterAlertStart ? '' : ', from before the alert began';
    return `would roll back ${targetLabel(target)} to its last known good release (the newest revision that differs from the current one in more than restarts${when})`;
  },

  async preview(ctx, params) {
    const kind = workloadKindOf(ctx.target, 'k8s.rollback', kinds);
    return kind === 'Deployment'
      ? previewDeploymentUndo(ctx, request(ctx, params))
      : previewHistoryUndo(ctx, kind, request(ctx, params));
  },

  async run(ctx, params) {
    const kind = workloadKindOf(ctx.target, 'k8s.rollback', kinds);
    return retryOnConflict(() =>
      kind === 'Deployment'
        ? undoDeployment(ctx, request(ctx, params))
        : undoFromHistory(ctx, kind, request(ctx, params)),
    );
  },

  rolloutStatus(ctx) {
    return readRolloutStatus(ctx, 'k8s.rollback', kinds);
  },
};
