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

/** Pods replaced so far for the rollout to `update`, advancing by readyPerTick unless stalled. */
function updatedCount(
  env: ControllerEnv,
  obj: KubeObject,
  update: string,
  prevUpdate: unknown,
  prevCount: number,
  want: number,
): number {
  const key = stallKey(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? '');
  const base = prevUpdate === update ? Math.min(prevCount, want) : 0;
  const stalled = isStalled(env, key, update, base >= want);
  return stalled ? base : Math.min(want, base + env.readyPerTick);
}

export function syncStatefulSet(env: ControllerEnv, sts: KubeObject): void {
  const cr = currentRevision(env, sts);
  const update = cr.metadata.name ?? '';
  const prev = statusOf(sts);
  const want = num(specOf(sts).replicas ?? 1);
  const fresh = prev.currentRevision === undefined;
  const updated = updatedCount(env, sts, update, prev.updateRevision, num(prev.updatedReplicas), want);
  const done = updated >= want;
  const ready = fresh ? updated : want;
  const status = omitZero(
    {
      observedGeneration: sts.metadata.generation,
      replicas: want,
      readyReplicas: ready,
      currentReplicas: done ? want : want - updated,
      updatedReplicas: updated,
      currentRevision: done || fresh ? update : prev.currentRevision,
      updateRevision: update,
      collisionCount: 0,
      availableReplicas: ready,
    },
    ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
  );
  status.collisionCount = 0;
  write(env, { ...clone(sts), status });
}

export function syncDaemonSet(env: ControllerEnv, ds: KubeObject): void {
  const cr = currentRevision(env, ds);
  const update = cr.metadata.name ?? '';
  const prev = statusOf(ds);
  const want = env.nodes;
  const fresh = prev.observedGeneration === undefined;
  // DaemonSet status does not name its revision; remember which one the count belongs to.
  const memoKey = `DaemonSet/${ds.metadata.uid}`;
  const updated = updatedCount(
    env,
    ds,
    update,
    env.memo.get(memoKey),
    num(prev.updatedNumberScheduled),
    want,
  );
  env.memo.set(memoKey, update);
  const ready = fresh ? updated : want;
  const next = clone(ds);
  next.status = omitZero(
    {
      currentNumberScheduled: want,
      numberMisscheduled: 0,
      desiredNumberScheduled: want,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: ready,
      numberUnavailable: want - ready,
    },
    ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'],
  );
  write(env, next);
}
