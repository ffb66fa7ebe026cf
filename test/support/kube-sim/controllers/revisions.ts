import { syncDaemonSetPods } from '../pods/daemonset-pods.js';
import { syncStatefulSetPods } from '../pods/statefulset-pods.js';
import type { KubeObject } from '../types.js';
import { canonical, clone, shortHash, sortKeys } from '../util.js';
import { type ControllerEnv, isStalled, omitZero, ownedBy, ownerRefTo, stallKey, write } from './env.js';
import { num, specOf, statusOf } from './replicaset.js';

/**
 * The ControllerRevision `data` StatefulSet and DaemonSet controllers store: the pod template marked
 * `$patch: replace`, keys sorted as Go writes a map, so kubectl's byte comparison in rollout undo can match.
 */
export function revisionData(template: unknown): unknown {
  return sortKeys({ spec: { template: { ...(template as object), $patch: 'replace' } } });
}

/** Finds or creates the ControllerRevision for the current template; returns it with its revision number. */
function currentRevision(env: ControllerEnv, owner: KubeObject): KubeObject {
  const ns = owner.metadata.namespace ?? '';
  const owned = ownedBy(env.store.list('apps/v1', 'ControllerRevision', ns), owner.metadata.uid);
  const data = revisionData(specOf(owner).template);
  const max = Math.max(0, ...owned.map((cr) => num(cr.revision)));
  const match = owned.find((cr) => canonical(cr.data) === canonical(data));
  if (match !== undefined) {
    if (num(match.revision) === max) return match;
    // Going back to an earlier template re-uses its revision object under the next number.
    return write(env, { ...match, revision: max + 1 });
  }
  let collision = num(statusOf(owner).collisionCount);
  let hash = shortHash(data, collision);
  while (env.store.get('apps/v1', 'ControllerRevision', ns, `${owner.metadata.name}-${hash}`) !== undefined) {
    collision += 1;
    hash = shortHash(data, collision);
  }
  const labels = (specOf(owner).template as { metadata?: { labels?: Record<string, string> } }).metadata
    ?.labels;
  return write(env, {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: ns,
      labels: { ...labels, 'controller-revision-hash': hash },
      ownerReferences: [ownerRefTo(owner)],
    },
    data,
    revision: max + 1,
  });
}

/** The pod template a ControllerRevision records (its data without the `$patch: replace` marker). */
function templateOf(cr: KubeObject | undefined): unknown {
  const t = (cr?.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (t === undefined) return undefined;
  const { $patch: _marker, ...rest } = t;
  return rest;
}

/** Whether the rollout to `update` may progress; binds a pending stall to it while it is unfinished. */
function stalledFor(env: ControllerEnv, obj: KubeObject, update: string, finished: boolean): boolean {
  const key = stallKey(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  return isStalled(env, key, update, finished);
}

export function syncStatefulSet(env: ControllerEnv, sts: KubeObject): void {
  const cr = currentRevision(env, sts);
  const update = cr.metadata.name ?? '';
  const prev = statusOf(sts);
  const want = num(specOf(sts).replicas ?? 1);
  const currentName = typeof prev.currentRevision === 'string' ? prev.currentRevision : update;
  const currentCr = env.store.get('apps/v1', 'ControllerRevision', sts.metadata.namespace ?? '', currentName);
  const finished = currentName === update && num(prev.updatedReplicas) >= want;
  const pods = syncStatefulSetPods(
    env,
    sts,
    { name: currentName, template: templateOf(currentCr) ?? specOf(sts).template },
    { name: update, template: specOf(sts).template },
    env.readyPerTick,
    stalledFor(env, sts, update, finished),
  );
  // The update is complete once every pod runs the update revision and is ready.
  const done = pods.updated >= want && pods.ready >= want;
  const status = omitZero(
    {
      observedGeneration: sts.metadata.generation,
      replicas: pods.replicas,
      readyReplicas: pods.ready,
      currentReplicas: done ? pods.updated : pods.current,
      updatedReplicas: pods.updated,
      currentRevision: done ? update : currentName,
      updateRevision: update,
      collisionCount: 0,
      availableReplicas: pods.ready,
    },
    ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
  );
  status.collisionCount = 0;
  write(env, { ...clone(sts), status });
}

export function syncDaemonSet(env: ControllerEnv, ds: KubeObject): void {
  const cr = currentRevision(env, ds);
  const hash = cr.metadata.labels?.['controller-revision-hash'] ?? '';
  const prev = statusOf(ds);
  const finished =
    prev.observedGeneration === ds.metadata.generation &&
    num(prev.updatedNumberScheduled) >= num(prev.desiredNumberScheduled) &&
    num(prev.numberAvailable) >= num(prev.desiredNumberScheduled);
  const pods = syncDaemonSetPods(
    env,
    ds,
    hash,
    env.readyPerTick,
    stalledFor(env, ds, cr.metadata.name ?? '', finished),
  );
  const next = clone(ds);
  next.status = omitZero(
    {
      currentNumberScheduled: pods.scheduled,
      numberMisscheduled: 0,
      desiredNumberScheduled: pods.desired,
      numberReady: pods.ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: pods.updated,
      numberAvailable: pods.ready,
      numberUnavailable: pods.desired - pods.ready,
    },
    ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'],
  );
  write(env, next);
}
