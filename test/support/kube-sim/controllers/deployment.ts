import type { KubeObject } from '../types.js';
import { canonical, clone, shortHash } from '../util.js';
import { type Condition, getCondition, markProgress, setCondition } from './conditions.js';
import { type ControllerEnv, isStalled, omitZero, ownedBy, ownerRefTo, stallKey, write } from './env.js';
import { advanceReplicaSet, num, specOf, statusOf } from './replicaset.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
// Deployment annotations the controller does not copy onto its ReplicaSets (deploymentutil.annotationsToSkip).
const NOT_COPIED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED,
  MAX,
  'deprecated.deployment.rollback.to',
]);

export function revisionOf(o: KubeObject): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/** A pod template's identity ignoring the pod-template-hash label (deploymentutil.EqualIgnoreHash). */
export function templateKey(template: unknown): string {
  const t = clone(template) as { metadata?: { labels?: Record<string, string> } } | undefined;
  if (t?.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return canonical(t);
}

function resolveIntOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v ?? '0'));
  if (!m) return 0;
  const raw = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(raw) : Math.floor(raw);
}

function surgeAndUnavailable(d: KubeObject, replicas: number): { surge: number; unavailable: number } {
  const strategy = specOf(d).strategy as
    | { type?: string; rollingUpdate?: Record<string, unknown> }
    | undefined;
  if (strategy?.type !== 'RollingUpdate') return { surge: 0, unavailable: 0 };
  const surge = resolveIntOrPercent(strategy.rollingUpdate?.maxSurge, replicas, true);
  let unavailable = resolveIntOrPercent(strategy.rollingUpdate?.maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

function copyAnnotations(d: KubeObject, rs: KubeObject, replicas: number): void {
  const ann = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) ann[k] = v;
  ann[DESIRED] = String(replicas);
  ann[MAX] = String(replicas + surgeAndUnavailable(d, replicas).surge);
  rs.metadata.annotations = ann;
}

function newReplicaSet(env: ControllerEnv, d: KubeObject, revision: number, replicas: number) {
  const spec = specOf(d);
  const ns = d.metadata.namespace ?? '';
  let collision = num(statusOf(d).collisionCount);
  for (;;) {
    const hash = shortHash(spec.template, collision);
    const name = `${d.metadata.name}-${hash}`;
    const clash = env.store.get('apps/v1', 'ReplicaSet', ns, name);
    if (clash !== undefined && templateKey(specOf(clash).template) !== templateKey(spec.template)) {
      collision += 1;
      continue;
    }
    const template = clone(spec.template) as { metadata?: { labels?: Record<string, string> } };
    template.metadata = {
      ...template.metadata,
      labels: { ...template.metadata?.labels, 'pod-template-hash': hash },
    };
    const selector = clone(spec.selector) as { matchLabels?: Record<string, string> };
    selector.matchLabels = { ...selector.matchLabels, 'pod-template-hash': hash };
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: ns,
        labels: { ...template.metadata.labels },
        annotations: { [REVISION]: String(revision) },
        ownerReferences: [ownerRefTo(d)],
      },
      spec: { replicas, minReadySeconds: spec.minReadySeconds ?? 0, selector, template },
    };
    copyAnnotations(d, rs, replicas);
    return { rs, collision };
  }
}

/** One pass of the deployment controller over one Deployment (rolling update without surge limits). */
export function syncDeployment(env: ControllerEnv, d0: KubeObject): void {
  const d = clone(d0);
  const spec = specOf(d);
  const ns = d.metadata.namespace ?? '';
  const now = env.now();
  const replicas = num(spec.replicas ?? 1);
  const prev = statusOf(d);
  let conds = clone((prev.conditions ?? []) as Condition[]);
  if (spec.paused === true) {
    conds = setCondition(conds, 'Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', now);
    write(env, { ...d, status: { ...prev, observedGeneration: d.metadata.generation, conditions: conds } });
    return;
  }
  if (getCondition(conds, 'Progressing')?.reason === 'DeploymentPaused') {
    conds = setCondition(conds, 'Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed', now);
  }
  const owned = ownedBy(env.store.list('apps/v1', 'ReplicaSet', ns), d.metadata.uid);
  const key = templateKey(spec.template);
  const found = owned.find((rs) => templateKey(specOf(rs).template) === key);
  const olds = owned.filter((rs) => rs !== found).sort((a, b) => revisionOf(b) - revisionOf(a));
  const newRevision = Math.max(0, ...olds.map(revisionOf)) + 1;
  let started: 'created' | 'found' | undefined;
  let collision = num(prev.collisionCount);
  let rs: KubeObject;
  if (found === undefined) {
    const made = newReplicaSet(env, d, newRevision, replicas);
    rs = made.rs;
    collision = made.collision;
    started = 'created';
  } else {
    rs = clone(found);
    const had = rs.metadata.annotations?.[REVISION];
    if (revisionOf(rs) < newRevision) {
      const ann: Record<string, string> = { ...rs.metadata.annotations, [REVISION]: String(newRevision) };
      // Re-using an older ReplicaSet (a rollback) keeps its former revision numbers for history.
      if (had !== undefined)
        ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${had}` : had;
      rs.metadata.annotations = ann;
      started = 'found';
    }
    copyAnnotations(d, rs, replicas);
    (rs.spec as Record<string, unknown>).replicas = replicas;
  }
  rs = write(env, rs);
  const finished =
    num(statusOf(rs).availableReplicas) >= replicas && olds.every((o) => num(specOf(o).replicas) === 0);
  const stalled = isStalled(
    env,
    stallKey('Deployment', ns, d.metadata.name ?? ''),
    rs.metadata.uid ?? '',
    finished,
  );
  rs = write(env, advanceReplicaSet(env, rs, env.readyPerTick, stalled));
  // Old pods go away only as new ones become available, so availability never drops during the rollout.
  let keepOld = Math.max(0, replicas - num(statusOf(rs).availableReplicas));
  const all = [rs];
  for (const old of olds) {
    const next = clone(old);
    const keep = Math.min(num(specOf(old).replicas), keepOld);
    keepOld -= keep;
    (next.spec as Record<string, unknown>).replicas = keep;
    all.push(write(env, advanceReplicaSet(env, write(env, next), 0, false)));
  }
  const sum = (f: (o: KubeObject) => number) => all.reduce((n, o) => n + f(o), 0);
  const available = sum((o) => num(statusOf(o).availableReplicas));
  const status: Record<string, unknown> = {
    observedGeneration: d.metadata.generation,
    replicas: sum((o) => num(statusOf(o).replicas)),
    updatedReplicas: num(statusOf(rs).replicas),
    readyReplicas: sum((o) => num(statusOf(o).readyReplicas)),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum((o) => num(specOf(o).replicas)) - available),
    collisionCount: collision,
  };
  const rsName = rs.metadata.name ?? '';
  if (started === 'created')
    conds = setCondition(
      conds,
      'Progressing',
      'True',
      'NewReplicaSetCreated',
      `Created new replica set "${rsName}"`,
      now,
    );
  if (started === 'found') conds = markProgress(conds, `ReplicaSet "${rsName}" is progressing.`, now);
  const { unavailable } = surgeAndUnavailable(d, replicas);
  conds =
    available >= replicas - unavailable
      ? setCondition(
          conds,
          'Available',
          'True',
          'MinimumReplicasAvailable',
          'Deployment has minimum availability.',
          now,
        )
      : setCondition(
          conds,
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
          now,
        );
  conds = progressCondition(
    conds,
    prev,
    status,
    replicas,
    num(spec.progressDeadlineSeconds ?? 600),
    rsName,
    now,
  );
  status.conditions = conds;
  d.metadata.annotations = { ...d.metadata.annotations, [REVISION]: String(revisionOf(rs)) };
  write(env, {
    ...d,
    status: omitZero(status, [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ]),
  });
}

/** syncRolloutStatus: complete, else progressing, else timed out. */
function progressCondition(
  conds: Condition[],
  prev: Record<string, unknown>,
  next: Record<string, unknown>,
  replicas: number,
  deadlineSeconds: number,
  rsName: string,
  now: number,
): Condition[] {
  const cur = getCondition(conds, 'Progressing');
  if (next.replicas === next.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable') return conds;
  const n = (o: Record<string, unknown>, k: string) => num(o[k]);
  if (
    n(next, 'updatedReplicas') === replicas &&
    n(next, 'replicas') === replicas &&
    n(next, 'availableReplicas') === replicas
  ) {
    return setCondition(
      conds,
      'Progressing',
      'True',
      'NewReplicaSetAvailable',
      `ReplicaSet "${rsName}" has successfully progressed.`,
      now,
    );
  }
  const progressed =
    n(next, 'updatedReplicas') > n(prev, 'updatedReplicas') ||
    n(next, 'replicas') - n(next, 'updatedReplicas') < n(prev, 'replicas') - n(prev, 'updatedReplicas') ||
    n(next, 'readyReplicas') > n(prev, 'readyReplicas') ||
    n(next, 'availableReplicas') > n(prev, 'availableReplicas');
  if (progressed) return markProgress(conds, `ReplicaSet "${rsName}" is progressing.`, now);
  if (cur === undefined) return conds;
  const since = Date.parse(cur.lastUpdateTime ?? '');
  if (cur.reason === 'ProgressDeadlineExceeded' || since + deadlineSeconds * 1000 < now) {
    return setCondition(
      conds,
      'Progressing',
      'False',
      'ProgressDeadlineExceeded',
      `ReplicaSet "${rsName}" has timed out progressing.`,
      now,
    );
  }
  return conds;
}
