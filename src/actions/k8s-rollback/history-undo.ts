import type { ControllerRevision, PodTemplate, Workload } from '../../kube/port.js';
import { selectorToString } from '../../kube/selector.js';
import { recordEvent } from '../k8s/events.js';
import { annotationKeys, isControlledBy, namespacedName, workloadRef } from '../k8s/target.js';
import { semanticEqual } from '../k8s/template.js';
import { changed, healMark, refused, targetLabel, unchanged } from '../step.js';
import type { ActionContext, ActionResult } from '../types.js';
import {
  chooseRevision,
  type HistoryEntry,
  imagesOf,
  type RollbackChoice,
  type RollbackRequest,
  revisionText,
  skippedFacts,
} from './choice.js';

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

function historyEntry(revision: ControllerRevision): HistoryEntry {
  return {
    revision: revision.revision,
    name: revision.metadata.name ?? '',
    template: revisionTemplate(revision) ?? {},
    createdAt: revision.metadata.creationTimestamp ?? undefined,
  };
}

type HistoryPlan =
  | { kind: 'done'; result: ActionResult }
  /** This heal step rolled it back already (a re-run after a crash): only its Event may be missing. */
  | { kind: 'mine'; workload: Workload; result: ActionResult }
  | {
      kind: 'patch';
      workload: Workload;
      target: ControllerRevision;
      fromRevision: number | undefined;
      choice: RollbackChoice;
    };

async function planHistoryUndo(
  ctx: ActionContext,
  kind: 'StatefulSet' | 'DaemonSet',
  request: RollbackRequest,
): Promise<HistoryPlan> {
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const workload = await ctx.kube.getWorkload(kind, namespace, name);
  if (workload.metadata.annotations?.[annotationKeys.rollbackFor] === healMark(ctx)) {
    return {
      kind: 'mine',
      workload,
      result: unchanged(`${label} was already rolled back by this heal step`),
    };
  }
  const history = (
    await ctx.kube.listControllerRevisions(namespace, selectorToString(workload.spec.selector))
  )
    .filter((revision) => isControlledBy(revision.metadata, workload.metadata.uid))
    .sort((a, b) => a.revision - b.revision);
  const entries = new Map(history.map((revision) => [historyEntry(revision), revision] as const));
  const choice = chooseRevision([...entries.keys()], workload.spec.template, request, label, (toRevision) => {
    const found = findControllerRevision(history, toRevision);
    return [...entries].find(([, revision]) => revision === found)![0];
  });
  const target = entries.get(choice.entry)!;
  if (semanticEqual(revisionTemplate(target), workload.spec.template)) {
    const detail = `skipped rollback of ${label} (current template already matches revision ${target.revision})`;
    return { kind: 'done', result: unchanged(detail, { revision: target.revision }) };
  }
  return { kind: 'patch', workload, target, fromRevision: currentRevision(workload, history), choice };
}

/** What undoFromHistory would do now, from reads alone. */
export async function previewHistoryUndo(
  ctx: ActionContext,
  kind: 'StatefulSet' | 'DaemonSet',
  request: RollbackRequest,
): Promise<string> {
  const plan = await planHistoryUndo(ctx, kind, request);
  if (plan.kind !== 'patch') return `would change nothing: ${plan.result.detail}`;
  const { fromRevision, choice } = plan;
  return `would roll back ${targetLabel(ctx.target)} from revision ${fromRevision ?? 'unknown'} to ${revisionText(choice.entry)}: ${choice.why}`;
}

/**
 * `kubectl rollout undo statefulset|daemonset/NAME [--to-revision=N]`: a strategic merge patch whose body is
 * the chosen ControllerRevision's data, plus the annotation naming the heal step.
 */
export async function undoFromHistory(
  ctx: ActionContext,
  kind: 'StatefulSet' | 'DaemonSet',
  request: RollbackRequest,
): Promise<ActionResult> {
  const plan = await planHistoryUndo(ctx, kind, request);
  if (plan.kind === 'mine') {
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    await recordEvent(ctx, {
      regarding: workloadRef(kind, plan.workload, ctx.target),
      action: 'RolloutUndo',
      reason: 'RolledBack',
      note: `rolled back ${targetLabel(ctx.target)}`,
    });
  }
  if (plan.kind !== 'patch') return plan.result;
  const { workload, target, fromRevision, choice } = plan;
  const { namespace, name } = namespacedName(ctx.target);
  await ctx.kube.patchWorkload(kind, namespace, name, {
    type: 'strategic',
    body: {
      ...(target.data ?? {}),
      metadata: { annotations: { [annotationKeys.rollbackFor]: healMark(ctx) } },
    },
  });
  const detail = `rolled back ${targetLabel(ctx.target)} from revision ${fromRevision ?? 'unknown'} to ${revisionText(choice.entry)}`;
  await recordEvent(ctx, {
    regarding: workloadRef(kind, workload, ctx.target),
    action: 'RolloutUndo',
    reason: 'RolledBack',
    note: `${detail} (ControllerRevision ${target.metadata.name}): ${choice.why}`,
  });
  return changed(`${detail}: ${choice.why}`, {
    fromRevision,
    toRevision: target.revision,
    controllerRevision: target.metadata.name,
    images: imagesOf(choice.entry.template),
    why: choice.why,
    ...skippedFacts(choice),
  });
}
