import type { Workload, WorkloadKind } from '../../kube/port.js';
import { retryOnConflict } from '../k8s/conflict.js';
import { type EventInput, recordEvent } from '../k8s/events.js';
import { eventRule } from '../k8s/rbac.js';
import { readRolloutStatus } from '../k8s/rollout-status.js';
import { annotationKeys, namespacedName, workloadKindOf, workloadRef } from '../k8s/target.js';
import { changed, healMark, refused, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { type RestartParams, restartParams } from './params.js';

const kinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** RFC 3339 with second precision, as kubectl writes restartedAt (in UTC here rather than local time). */
export function rfc3339Seconds(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z');
}

async function restart(ctx: ActionContext, kind: WorkloadKind): Promise<ActionResult> {
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const workload = await ctx.kube.getWorkload(kind, namespace, name);
  const templateAnnotations = workload.spec.template.metadata?.annotations ?? {};
  if (templateAnnotations[annotationKeys.restartFor] === mark) {
    const at = templateAnnotations[annotationKeys.restartedAt];
    await recordEvent(ctx, restartEvent(kind, workload, ctx, `restarted ${label} (restartedAt ${at})`));
    return unchanged(`${label} was already restarted by this heal step (at ${at ?? 'an unknown time'})`, {
      restartedAt: at,
    });
  }
  if (kind === 'Deployment' && workload.spec.paused === true) {
    throw refused(`can't restart paused deployment ${namespace}/${name} (run rollout resume first)`);
  }
  const restartedAt = rfc3339Seconds(ctx.clock.now());
  await ctx.kube.patchWorkload(kind, namespace, name, {
    type: 'strategic',
    body: {
      spec: {
        template: {
          metadata: {
            annotations: { [annotationKeys.restartedAt]: restartedAt, [annotationKeys.restartFor]: mark },
          },
        },
      },
    },
  });
  const detail = `restarted ${label} (restartedAt ${restartedAt})`;
  await recordEvent(ctx, restartEvent(kind, workload, ctx, detail));
  return changed(detail, { restartedAt });
}

const restartEvent = (
  kind: WorkloadKind,
  workload: Workload,
  ctx: ActionContext,
  note: string,
): EventInput => ({
  regarding: workloadRef(kind, workload, ctx.target),
  action: 'RolloutRestart',
  reason: 'Restarted',
  note,
});

export const k8sRestart: Action<RestartParams> = {
  kind: 'k8s.restart',
  summary: 'Restart the pods of a Deployment, StatefulSet or DaemonSet, like kubectl rollout restart',
  params: restartParams,
  targetKinds: kinds,
  example: {},
  rbac: [
    {
      apiGroups: ['apps'],
      resources: ['deployments', 'statefulsets', 'daemonsets'],
      verbs: ['get', 'patch'],
      why: 'read the workload, patch its pod template',
    },
    eventRule,
  ],

  describe(target: TargetRef): string {
    return `would restart the pods of ${targetLabel(target)} (rollout restart)`;
  },

  async run(ctx) {
    const kind = workloadKindOf(ctx.target, 'k8s.restart', kinds);
    return retryOnConflict(() => restart(ctx, kind));
  },

  rolloutStatus(ctx) {
    return readRolloutStatus(ctx, 'k8s.restart', kinds);
  },
};
