import type { PodTemplate } from '../../kube/port.js';
import { annotationKeys } from '../k8s/target.js';
import { equalIgnoreHash, semanticEqual, withoutHashLabel } from '../k8s/template.js';
import { refused } from '../step.js';

/** One entry of a workload's rollout history, whether a ReplicaSet or a ControllerRevision holds it. */
export type HistoryEntry = {
  revision: number;
  /** The ReplicaSet's or ControllerRevision's name. */
  name: string;
  template: PodTemplate;
  /** The object's creationTimestamp: when this pod template first ran. */
  createdAt: string | undefined;
};

export type RollbackMode = 'lastKnownGood' | 'previous';

/** What the step asks for, with what the heal knows about its incident. */
export type RollbackRequest = {
  toRevision?: number | undefined;
  mode: RollbackMode;
  includeAfterAlertStart: boolean;
  /** When the heal's earliest alert began firing; undefined for a manual heal. */
  alertStartedAt?: string | undefined;
};

export type RollbackChoice = {
  entry: HistoryEntry;
  /** Why this revision, in words, for the timeline, notifications and `salve test`. */
  why: string;
  /** Revisions passed over, and why: the trail an operator checks against `kubectl rollout history`. */
  skipped: { restartsOnly: number[]; afterAlertStart: number[] };
};

/** Images of the template's containers: what an operator recognises a release by. */
export function imagesOf(template: PodTemplate | undefined): string[] {
  const containers = (template?.spec as { containers?: { image?: unknown }[] } | undefined)?.containers ?? [];
  return containers.flatMap((c) => (typeof c.image === 'string' ? [c.image] : []));
}

/** A copy without what restarts add: `restartedAt`, salve's own `salve.dev/` annotations, the hash label. */
export function withoutRestartMarkers(template: PodTemplate): PodTemplate {
  const copy = withoutHashLabel(template);
  const annotations = copy.metadata?.annotations;
  if (annotations !== undefined) {
    for (const key of Object.keys(annotations)) {
      if (key === annotationKeys.restartedAt || key.startsWith('salve.dev/')) delete annotations[key];
    }
  }
  return copy;
}

/** True when two templates are the same release: they differ at most in restart markers. */
export function sameRelease(a: PodTemplate, b: PodTemplate): boolean {
  return semanticEqual(withoutRestartMarkers(a), withoutRestartMarkers(b));
}

const list = (revisions: number[]) =>
  revisions.length === 1 ? `revision ${revisions[0]}` : `revisions ${revisions.join(', ')}`;
/** "revision 2 differs" / "revisions 2, 3 differ": the list with its verb agreeing. */
const listThat = (revisions: number[], one: string, many: string) =>
  `${list(revisions)} ${revisions.length === 1 ? one : many}`;

function createdAfter(entry: HistoryEntry, bound: string | undefined): boolean {
  if (bound === undefined || entry.createdAt === undefined) return false;
  return Date.parse(entry.createdAt) > Date.parse(bound);
}

/**
 * The last known good revision: the newest revision whose pod template differs from the current one in more
 * than restart markers — revisions that only restarts made (salve's or anyone's) run the same release — and,
 * when the alert's start is known, that already existed when the alert began (unless told otherwise).
 * No such revision is a refusal: rolling back to the release that is failing would be a no-op "success".
 */
export function lastKnownGood(
  history: readonly HistoryEntry[],
  current: PodTemplate,
  request: RollbackRequest,
  label: string,
): RollbackChoice {
  const bound = request.includeAfterAlertStart ? undefined : request.alertStartedAt;
  const newestFirst = [...history].sort((a, b) => b.revision - a.revision);
  const skipped: RollbackChoice['skipped'] = { restartsOnly: [], afterAlertStart: [] };
  const currentRevision = newestFirst.find((e) => equalIgnoreHash(e.template, current))?.revision;
  for (const entry of newestFirst) {
    if (sameRelease(entry.template, current)) {
      if (entry.revision !== currentRevision) skipped.restartsOnly.push(entry.revision);
      continue;
    }
    if (createdAfter(entry, bound)) {
      skipped.afterAlertStart.push(entry.revision);
      continue;
    }
    return { entry, why: explain(entry, request, skipped), skipped };
  }
  const reasons = [`no earlier revision of ${label} runs another release than the current one`];
  if (skipped.restartsOnly.length > 0)
    reasons.push(listThat(skipped.restartsOnly, 'differs only by restarts', 'differ only by restarts'));
  if (skipped.afterAlertStart.length > 0) {
    reasons.push(
      `${listThat(skipped.afterAlertStart, 'was', 'were')} created after the alert began at ${request.alertStartedAt} (set includeAfterAlertStart: true to consider them)`,
    );
  }
  throw refused(reasons.join('; '), {
    restartsOnly: skipped.restartsOnly,
    afterAlertStart: skipped.afterAlertStart,
  });
}

function explain(entry: HistoryEntry, request: RollbackRequest, skipped: RollbackChoice['skipped']): string {
  const parts = [
    `last known good: the newest revision whose pod template differs from the current one in more than restarts`,
  ];
  if (skipped.restartsOnly.length > 0) {
    parts.push(`passed over ${list(skipped.restartsOnly)} (only restarts of the current release)`);
  }
  if (skipped.afterAlertStart.length > 0) {
    parts.push(`passed over ${list(skipped.afterAlertStart)} (created after the alert began)`);
  }
  if (request.alertStartedAt === undefined) parts.push('no alert start known (manual heal)');
  else if (request.includeAfterAlertStart) parts.push('revisions from after the alert began allowed');
  else
    parts.push(
      `created ${entry.createdAt ?? 'at an unknown time'}, before the alert began at ${request.alertStartedAt}`,
    );
  return parts.join('; ');
}

/** Why kubectl's own choices were made, in the same words as lastKnownGood's. */
export function kubectlWhy(request: RollbackRequest): string {
  return request.toRevision === undefined
    ? 'mode previous: the revision before the newest, as kubectl rollout undo picks it'
    : `toRevision ${request.toRevision} was asked for`;
}

/** The revision a step goes to: last known good by default, else kubectl's own pick (`pick`). */
export function chooseRevision(
  history: readonly HistoryEntry[],
  current: PodTemplate,
  request: RollbackRequest,
  label: string,
  pick: (toRevision: number) => HistoryEntry,
): RollbackChoice {
  if (request.toRevision === undefined && request.mode === 'lastKnownGood') {
    return lastKnownGood(history, current, request, label);
  }
  return {
    entry: pick(request.toRevision ?? 0),
    why: kubectlWhy(request),
    skipped: { restartsOnly: [], afterAlertStart: [] },
  };
}

/** "revision 1 (image scorer:1)": where a rollback goes, as an operator reads it in rollout history. */
export function revisionText(entry: HistoryEntry): string {
  const images = imagesOf(entry.template);
  if (images.length === 0) return `revision ${entry.revision}`;
  return `revision ${entry.revision} (${images.length === 1 ? 'image' : 'images'} ${images.join(', ')})`;
}

/** The revisions passed over, for the audit record's structured facts (empty lists left out). */
export function skippedFacts(choice: RollbackChoice): Record<string, number[]> {
  const facts: Record<string, number[]> = {};
  if (choice.skipped.restartsOnly.length > 0) facts.skippedRestartsOnly = choice.skipped.restartsOnly;
  if (choice.skipped.afterAlertStart.length > 0)
    facts.skippedAfterAlertStart = choice.skipped.afterAlertStart;
  return facts;
}
