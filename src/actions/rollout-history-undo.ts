import type { ControllerRevision, PodTemplate, Workload } from '../kube/port.js';
import { selectorToString } from '../kube/selector.js';
import { recordEvent } from './k8s-events.js';
import {
  annotationKeys,
  changed,
  healMark,
  isControlledBy,
  refused,
  targetLabel,
  unchanged,
  workloadRef,
} from './k8s-target.js';
import { semanticEqual } from './k8s-template.js';
import type { ActionContext, ActionResult } from './types.js';

/** The pod template a ControllerRevision stores, without the `$patch: replace` directive. */
export function revisionTemplate(revision: ControllerRevision): PodTemplate | undefined {
  const spec = revision.data?.spec;
  if (typeof spec !== 'object' || spec === null) return undefined;
  const template = (spec as { template?: unknown }).template;
  if (typeof template !== 'object' || template === null) return undefined;
  const { $patch: _directive, ...rest } = template as Record<string, unknown>;
  return rest as PodTemplate;
}

/** kubectl's findHistory: revision `toRevision`, or the second highest for 0. */
export function findControllerRevision(
  history: readonly ControllerRevision[],
  toRevision: number,
): ControllerRevision {
  const sorted = [...history].sort((a, b) => a.revision - b.revision);
  if (toRevision === 0) {
    const previous = sorted.length > 1 ? sorted[sorted.length - 2] : undefined;
    if (previous === undefined) throw refused('no last revision to roll back to');
    return previous;
  }
  const found = sorted.find((revision) => revision.revision === toRevision);
  if (found === undefined)
    throw refused(`unable to find specified revision ${toRevision} in history`, { toRevision });
  return found;
}

function currentRevision(workload: Workload, history: readonly ControllerRevision[]): number | undefined {
  const byName = history.find((revision) => revision.metadata.name === workload.status?.updateRevision);
  if (byName !== undefined) return byName.revision;
  const matching = history.filter((revision) =>
    semanticEqual(revisionTemplate(revision), workload.spec.template),
  );
  return matching.at(-1)?.revision ?? history.at(-1)?.revision;
}

/**
 * `kubectl rollout undo statefulset|daemonset/NAME [--to-revision=N]`: a strategic merge patch whose body is
 * the chosen ControllerRevision's data, plus the annotation naming the heal step.
 */
export async function undoFromHistory(
  ctx: ActionContext,
  kind: 'StatefulSet' | 'DaemonSet',
  toRevision: number,
): Promise<ActionResult> {
  const { namespace, name } = ctx.target;
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const workload = await ctx.kube.getWorkload(kind, namespace, name);
  if (workload.metadata.annotations?.[annotationKeys.rollbackFor] === mark) {
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    await recordEvent(ctx, {
      regarding: workloadRef(kind, workload, ctx.target),
      action: 'RolloutUndo',
      reason: 'RolledBack',
      note: `rolled back ${label}`,
    });
    return unchanged(`${label} was already rolled back by this heal step`);
  }
  const history = (
    await ctx.kube.listControllerRevisions(namespace, selectorToString(workload.spec.selector))
  )
    .filter((revision) => isControlledBy(revision.metadata, workload.metadata.uid))
    .sort((a, b) => a.revision - b.revision);
  const target = findControllerRevision(history, toRevision);
  const fromRevision = currentRevision(workload, history);
  if (semanticEqual(revisionTemplate(target), workload.spec.template)) {
    return unchanged(
      `skipped rollback of ${label} (current template already matches revision ${target.revision})`,
      {
        revision: target.revision,
      },
    );
  }
  await ctx.kube.patchWorkload(kind, namespace, name, {
    type: 'strategic',
    body: { ...(target.data ?? {}), metadata: { annotations: { [annotationKeys.rollbackFor]: mark } } },
  });
  const detail = `rolled back ${label} from revision ${fromRevision ?? 'unknown'} to revision ${target.revision}`;
  await recordEvent(ctx, {
    regarding: workloadRef(kind, workload, ctx.target),
    action: 'RolloutUndo',
    reason: 'RolledBack',
    note: `${detail} (ControllerRevision ${target.metadata.name})`,
  });
  return changed(detail, {
    fromRevision,
    toRevision: target.revision,
    controllerRevision: target.metadata.name,
  });
}
