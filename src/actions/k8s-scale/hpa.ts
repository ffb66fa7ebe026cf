import { recordEvent } from '../k8s/events.js';
import { annotationKeys, namespacedName, objectRef } from '../k8s/target.js';
import { changed, healMark, refused, targetLabel, unchanged } from '../step.js';
import type { ActionContext, ActionResult } from '../types.js';

// k8s.scale on a HorizontalPodAutoscaler: an HPA sets its target's replicas at every sync, so scaling the
// Deployment itself would be undone within seconds. What gives it more capacity is a higher maxReplicas; the
// HPA then scales the target up to what it wants, within the new bound. `replicas: N` sets maxReplicas to N;
// `by: N` moves it by N, within `min` and `max`.

export type HpaScaleParams = { replicas: number } | { by: number; min?: number; max?: number };

/** The maxReplicas a step asks for, given the current one. */
export function desiredMaxReplicas(current: number, params: HpaScaleParams): number {
  if ('replicas' in params) return params.replicas;
  const wanted = current + params.by;
  return Math.min(Math.max(wanted, params.min ?? 1, 1), params.max ?? Number.POSITIVE_INFINITY);
}

export function describeHpaScale(label: string, params: HpaScaleParams): string {
  if ('replicas' in params) return `would set the maxReplicas of ${label} to ${params.replicas}`;
  const bounds = [
    params.min === undefined ? undefined : `at least ${params.min}`,
    params.max === undefined ? undefined : `at most ${params.max}`,
  ].filter((part) => part !== undefined);
  const sign = params.by > 0 ? `+${params.by}` : `${params.by}`;
  return `would move the maxReplicas of ${label} by ${sign}${bounds.length === 0 ? '' : ` (${bounds.join(', ')})`}`;
}

export async function scaleAutoscaler(ctx: ActionContext, params: HpaScaleParams): Promise<ActionResult> {
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const hpa = await ctx.kube.getAutoscaler(namespace, name);
  const current = hpa.spec.maxReplicas;
  const regarding = objectRef('autoscaling/v2', 'HorizontalPodAutoscaler', hpa.metadata, ctx.target);
  const event = (note: string) => ({ regarding, action: 'Scale', reason: 'MaxReplicasChanged', note });
  if (!('replicas' in params) && hpa.metadata.annotations?.[annotationKeys.scaleFor] === mark) {
    await recordEvent(ctx, event(`set the maxReplicas of ${label} to ${current}`));
    return unchanged(`${label} was already scaled by this heal step (maxReplicas ${current})`, {
      maxReplicas: current,
    });
  }
  const target = desiredMaxReplicas(current, params);
  const min = hpa.spec.minReplicas ?? 1;
  if (target < min) {
    throw refused(`${label}: maxReplicas ${target} would be below its minReplicas ${min}`, {
      maxReplicas: target,
    });
  }
  if (target === current)
    return unchanged(`${label} already has maxReplicas ${current}`, { maxReplicas: current });
  // resourceVersion makes the patch conditional: a concurrent change answers 409 and we recompute.
  await ctx.kube.patchAutoscaler(namespace, name, {
    type: 'merge',
    body: {
      metadata: {
        ...(hpa.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: hpa.metadata.resourceVersion }),
        annotations: { [annotationKeys.scaleFor]: mark },
      },
      spec: { maxReplicas: target },
    },
  });
  const scaled = hpa.spec.scaleTargetRef;
  const detail = `raised the maxReplicas of ${label} from ${current} to ${target} (it scales ${scaled.kind} ${namespace}/${scaled.name})`;
  await recordEvent(ctx, event(target > current ? detail : detail.replace('raised', 'lowered')));
  return changed(target > current ? detail : detail.replace('raised', 'lowered'), {
    fromMaxReplicas: current,
    toMaxReplicas: target,
  });
}
