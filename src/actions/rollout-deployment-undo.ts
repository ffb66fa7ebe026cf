import type { ReplicaSet, Workload } from '../kube/port.js';
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
import { equalIgnoreHash, withoutHashLabel } from './k8s-template.js';
import type { ActionContext, ActionResult } from './types.js';

/** Annotations a rollback keeps from the Deployment itself; every other one comes from the ReplicaSet. */
export const annotationsToSkip: ReadonlySet<string> = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

/** The revision annotation as a number; missing means 0, and an unparsable one is ignored (as kubectl does). */
export function revisionOf(annotations: Record<string, string> | undefined): number | undefined {
  const raw = annotations?.[annotationKeys.revision];
  if (raw === undefined) return 0;
  return /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** kubectl's deploymentRevision: the ReplicaSet holding revision `toRevision`, or the previous one for 0. */
export function findReplicaSetRevision(
  deployment: Workload,
  replicaSets: readonly ReplicaSet[],
  toRevision: number,
): { replicaSet: ReplicaSet; revision: number } {
  let latest: { replicaSet: ReplicaSet; revision: number } | undefined;
  let previous: { replicaSet: ReplicaSet; revision: number } | undefined;
  for (const replicaSet of replicaSets) {
    const revision = revisionOf(replicaSet.metadata.annotations);
    if (revision === undefined) continue;
    if (toRevision > 0) {
      if (revision === toRevision) return { replicaSet, revision };
      continue;
    }
    if (latest === undefined || latest.revision < revision) {
      previous = latest;
      latest = { replicaSet, revision };
    } else if (previous === undefined || previous.revision < revision) {
      previous = { replicaSet, revision };
    }
  }
  if (toRevision > 0)
    throw refused(`unable to find specified revision ${toRevision} in history`, { toRevision });
  if (previous === undefined)
    throw refused(`no rollout history found for deployment "${deployment.metadata.name}"`);
  return previous;
}

/** The annotations the rollback patch sets, by kubectl's rule, plus the heal step that did it. */
export function rollbackAnnotations(
  deployment: Workload,
  replicaSet: ReplicaSet,
  mark: string,
): Record<string, string> {
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(key)) annotations[key] = value;
  }
  for (const [key, value] of Object.entries(replicaSet.metadata.annotations ?? {})) {
    if (!annotationsToSkip.has(key)) annotations[key] = value;
  }
  annotations[annotationKeys.rollbackFor] = mark;
  return annotations;
}

/** `kubectl rollout undo deployment/NAME [--to-revision=N]`, step for step, as one JSON Patch. */
export async function undoDeployment(ctx: ActionContext, toRevision: number): Promise<ActionResult> {
  const { namespace, name } = ctx.target;
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const deployment = await ctx.kube.getWorkload('Deployment', namespace, name);
  const fromRevision = revisionOf(deployment.metadata.annotations);
  if (deployment.metadata.annotations?.[annotationKeys.rollbackFor] === mark) {
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    await recordEvent(ctx, {
      regarding: workloadRef('Deployment', deployment, ctx.target),
      action: 'RolloutUndo',
      reason: 'RolledBack',
      note: `rolled back ${label} to revision ${fromRevision}`,
    });
    return unchanged(`${label} was already rolled back by this heal step (now at revision ${fromRevision})`, {
      revision: fromRevision,
    });
  }
  const selector = selectorToString(deployment.spec.selector);
  const owned = (await ctx.kube.listReplicaSets(namespace, selector)).filter((rs) =>
    isControlledBy(rs.metadata, deployment.metadata.uid),
  );
  const { replicaSet, revision } = findReplicaSetRevision(deployment, owned, toRevision);
  if (deployment.spec.paused === true) {
    throw refused(
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again (${label})`,
    );
  }
  const template = replicaSet.spec.template ?? {};
  if (equalIgnoreHash(template, deployment.spec.template)) {
    return unchanged(`skipped rollback of ${label} (current template already matches revision ${revision})`, {
      revision,
    });
  }
  await ctx.kube.patchWorkload('Deployment', namespace, name, {
    type: 'json',
    ops: [
      { op: 'replace', path: '/spec/template', value: withoutHashLabel(template) },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: rollbackAnnotations(deployment, replicaSet, mark),
      },
    ],
  });
  const detail = `rolled back ${label} from revision ${fromRevision} to revision ${revision}`;
  await recordEvent(ctx, {
    regarding: workloadRef('Deployment', deployment, ctx.target),
    action: 'RolloutUndo',
    reason: 'RolledBack',
    note: `${detail} (ReplicaSet ${replicaSet.metadata.name})`,
  });
  return changed(detail, { fromRevision, toRevision: revision, replicaSet: replicaSet.metadata.name });
}
