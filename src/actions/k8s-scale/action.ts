import type { WorkloadKind } from '../../kube/port.js';
import { retryOnConflict } from '../k8s/conflict.js';
import { recordEvent } from '../k8s/events.js';
import { eventRule } from '../k8s/rbac.js';
import { readRolloutStatus } from '../k8s/rollout-status.js';
import { annotationKeys, namespacedName, workloadKindOf, workloadRef } from '../k8s/target.js';
import { changed, healMark, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { type ScaleParams, scaleParams } from './params.js';

const kinds: readonly WorkloadKind[] = ['Deployment', 'StatefulSet'];

/** The replica count a step asks for, given the current one. */
export function desiredReplicas(current: number, params: ScaleParams): number {
  if ('replicas' in params) return params.replicas;
  const wanted = current + params.by;
  const floor = Math.max(params.min ?? 0, 0);
  const ceiling = params.max ?? Number.POSITIVE_INFINITY;
  return Math.min(Math.max(wanted, floor), ceiling);
}

async function scale(ctx: ActionContext, kind: WorkloadKind, params: ScaleParams): Promise<ActionResult> {
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const workload = await ctx.kube.getWorkload(kind, namespace, name);
  // The API server defaults spec.replicas to 1.
  const current = workload.spec.replicas ?? 1;
  if (!('replicas' in params) && workload.metadata.annotations?.[annotationKeys.scaleFor] === mark) {
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    await recordEvent(ctx, {
      regarding: workloadRef(kind, workload, ctx.target),
      action: 'Scale',
      reason: 'Scaled',
      note: `scaled ${label} to ${current} replicas`,
    });
    return unchanged(`${label} was already scaled by this heal step (now ${current} replicas)`, {
      replicas: current,
    });
  }
  const target = desiredReplicas(current, params);
  if (target === current) {
    return unchanged(`${label} already has ${current} replicas`, { replicas: current });
  }
  // resourceVersion makes the patch conditional: a concurrent change answers 409 and we recompute.
  await ctx.kube.patchWorkload(kind, namespace, name, {
    type: 'merge',
    body: {
      metadata: {
        ...(workload.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: workload.metadata.resourceVersion }),
        annotations: { [annotationKeys.scaleFor]: mark },
      },
      spec: { replicas: target },
    },
  });
  const detail = `scaled ${label} from ${current} to ${target} replicas`;
  await recordEvent(ctx, {
    regarding: workloadRef(kind, workload, ctx.target),
    action: 'Scale',
    reason: 'Scaled',
    note: detail,
  });
  return changed(detail, { fromReplicas: current, toReplicas: target });
}

export const k8sScale: Action<ScaleParams> = {
  kind: 'k8s.scale',
  summary: 'Scale a Deployment or StatefulSet to N replicas, or by +/-N within bounds (once per heal step)',
  params: scaleParams,
  targetKinds: kinds,
  example: { by: 2, max: 10 },
  rbac: [
    {
      apiGroups: ['apps'],
      resources: ['deployments', 'statefulsets'],
      verbs: ['get', 'patch'],
      why: 'read the workload, patch its replicas',
    },
    eventRule,
  ],
  dataParams: { replicas: 'how many', by: 'how many', min: 'a floor', max: 'a ceiling' },

  describe(target: TargetRef, params: ScaleParams): string {
    if ('replicas' in params) return `would scale ${targetLabel(target)} to ${params.replicas} replicas`;
    const bounds = [
      params.min === undefined ? undefined : `at least ${params.min}`,
      params.max === undefined ? undefined : `at most ${params.max}`,
    ].filter((part) => part !== undefined);
    const sign = params.by > 0 ? `+${params.by}` : `${params.by}`;
    const within = bounds.length === 0 ? '' : ` (${bounds.join(', ')})`;
    return `would scale ${targetLabel(target)} by ${sign} replicas${within}`;
  },

  async run(ctx, params) {
    const kind = workloadKindOf(ctx.target, 'k8s.scale', kinds);
    return retryOnConflict(() => scale(ctx, kind, params));
  },

  rolloutStatus(ctx) {
    return readRolloutStatus(ctx, 'k8s.scale', kinds);
  },
};
