import type { ReplicaSet, Workload } from '../../kube/port.js';
import { selectorToString } from '../../kube/selector.js';
import { recordEvent } from '../k8s/events.js';
import { annotationKeys, isControlledBy, namespacedName, workloadRef } from '../k8s/target.js';
import { equalIgnoreHash, withoutHashLabel } from '../k8s/template.js';
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

/** A ReplicaSet as an entry of the Deployment's history (skipped when its revision cannot be read). */
function historyEntry(replicaSet: ReplicaSet): HistoryEntry | undefined {
  const revision = revisionOf(replicaSet.metadata.annotations);
  if (revision === undefined) return undefined;
  return {
    revision,
    name: replicaSet.metadata.name ?? '',
    template: replicaSet.spec.template ?? {},
    createdAt: replicaSet.metadata.creationTimestamp ?? undefined,
  };
}

/** What the undo comes to, from reads alone: already done, nothing to do, or the patch to send and why. */
type DeploymentPlan =
  | { kind: 'done'; result: ActionResult }
  /** This heal step rolled it back already (a re-run after a crash): only its Event may be missing. */
  | { kind: 'mine'; deployment: Workload; result: ActionResult }
  | {
      kind: 'patch';
      deployment: Workload;
      replicaSet: ReplicaSet;
      fromRevision: number | undefined;
      choice: RollbackChoice;
    };

async function planDeploymentUndo(ctx: ActionContext, request: RollbackRequest): Promise<DeploymentPlan> {
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const deployment = await ctx.kube.getWorkload('Deployment', namespace, name);
  const fromRevision = revisionOf(deployment.metadata.annotations);
  if (deployment.metadata.annotations?.[annotationKeys.rollbackFor] === healMark(ctx)) {
    const detail = `${label} was already rolled back by this heal step (now at revision ${fromRevision})`;
    return { kind: 'mine', deployment, result: unchanged(detail, { revision: fromRevision }) };
  }
  const selector = selectorToString(deployment.spec.selector);
  const owned = (await ctx.kube.listReplicaSets(namespace, selector)).filter((rs) =>
    isControlledBy(rs.metadata, deployment.metadata.uid),
  );
  const bySet = new Map<HistoryEntry, ReplicaSet>();
  for (const rs of owned) {
    const entry = historyEntry(rs);
    if (entry !== undefined) bySet.set(entry, rs);
  }
  const history = [...bySet.keys()];
  const choice = chooseRevision(history, deployment.spec.template, request, label, (toRevision) => {
    const { replicaSet } = findReplicaSetRevision(deployment, owned, toRevision);
    return history.find((e) => bySet.get(e) === replicaSet)!;
  });
  if (deployment.spec.paused === true) {
    throw refused(
      `you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again (${label})`,
    );
  }
  const replicaSet = bySet.get(choice.entry)!;
  const revision = choice.entry.revision;
  if (equalIgnoreHash(choice.entry.template, deployment.spec.template)) {
    const detail = `skipped rollback of ${label} (current template already matches revision ${revision})`;
    return { kind: 'done', result: unchanged(detail, { revision }) };
  }
  return { kind: 'patch', deployment, replicaSet, fromRevision, choice };
}

/** What undoDeployment would do now, from reads alone: `salve test` and the explain route show it. */
export async function previewDeploymentUndo(ctx: ActionContext, request: RollbackRequest): Promise<string> {
  const plan = await planDeploymentUndo(ctx, request);
  if (plan.kind !== 'patch') return `would change nothing: ${plan.result.detail}`;
  const { fromRevision, choice } = plan;
  return `would roll back ${targetLabel(ctx.target)} from revision ${fromRevision} to ${revisionText(choice.entry)}: ${choice.why}`;
}

/** `kubectl rollout undo deployment/NAME [--to-revision=N]`, step for step, as one JSON Patch. */
export async function undoDeployment(ctx: ActionContext, request: RollbackRequest): Promise<ActionResult> {
  const plan = await planDeploymentUndo(ctx, request);
  if (plan.kind === 'mine') {
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    await recordEvent(ctx, {
      regarding: workloadRef('Deployment', plan.deployment, ctx.target),
      action: 'RolloutUndo',
      reason: 'RolledBack',
      note: `rolled back ${targetLabel(ctx.target)} to revision ${plan.deployment.metadata.annotations?.[annotationKeys.revision]}`,
    });
  }
  if (plan.kind !== 'patch') return plan.result;
  const { deployment, replicaSet, fromRevision, choice } = plan;
  const { namespace, name } = namespacedName(ctx.target);
  const label = targetLabel(ctx.target);
  const template = replicaSet.spec.template ?? {};
  await ctx.kube.patchWorkload('Deployment', namespace, name, {
    type: 'json',
    ops: [
      { op: 'replace', path: '/spec/template', value: withoutHashLabel(template) },
      {
        op: 'replace',
        path: '/metadata/annotations',
        value: rollbackAnnotations(deployment, replicaSet, healMark(ctx)),
      },
    ],
  });
  const detail = `rolled back ${label} from revision ${fromRevision} to ${revisionText(choice.entry)}`;
  await recordEvent(ctx, {
    regarding: workloadRef('Deployment', deployment, ctx.target),
    action: 'RolloutUndo',
    reason: 'RolledBack',
    note: `${detail} (ReplicaSet ${replicaSet.metadata.name}): ${choice.why}`,
  });
  return changed(`${detail}: ${choice.why}`, {
    fromRevision,
    toRevision: choice.entry.revision,
    replicaSet: replicaSet.metadata.name,
    images: imagesOf(template),
    why: choice.why,
    ...skippedFacts(choice),
  });
}
