import { randomUUID } from 'node:crypto';
import type { ControllerEnv } from '../controllers/env.js';
import { storedEventFromCore } from '../event-view.js';
import { prepareWrite } from '../lifecycle.js';
import type { KubeObject } from '../types.js';
import { rfc3339 } from '../util.js';

export type PodEvent = {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** default-scheduler or kubelet. */
  component: 'default-scheduler' | 'kubelet';
  /** spec.containers{name} for container events. */
  fieldPath?: string;
};

/**
 * Records a core/v1 Event about a pod the way client-go's recorder does: a repeat of the same reason and message
 * bumps count and lastTimestamp on the existing Event instead of creating another.
 */
export function recordPodEvent(env: ControllerEnv, pod: KubeObject, e: PodEvent): void {
  const ns = pod.metadata.namespace ?? '';
  const key = `event/${pod.metadata.uid}/${e.reason}/${e.message}`;
  const now = env.now();
  const at = rfc3339(now);
  const existingName = env.memo.get(key);
  const existing =
    existingName === undefined ? undefined : env.store.get('events.k8s.io/v1', 'Event', ns, existingName);
  if (existing !== undefined) {
    const next = {
      ...existing,
      deprecatedCount: Number(existing.deprecatedCount ?? 1) + 1,
      deprecatedLastTimestamp: at,
    };
    env.store.save(prepareWrite(existing, next, now));
    return;
  }
  const seq = Number(env.memo.get('event/seq') ?? 0) + 1;
  env.memo.set('event/seq', String(seq));
  const name = `${pod.metadata.name}.${(BigInt(Math.floor(now)) * 1_000_000n + BigInt(seq)).toString(16)}`;
  env.memo.set(key, name);
  const involvedObject: Record<string, unknown> = {
    kind: 'Pod',
    namespace: ns,
    name: pod.metadata.name,
    uid: pod.metadata.uid,
    apiVersion: 'v1',
    resourceVersion: pod.metadata.resourceVersion,
  };
  if (e.fieldPath !== undefined) involvedObject.fieldPath = e.fieldPath;
  const source: Record<string, string> = { component: e.component };
  const host = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (e.component === 'kubelet' && host !== undefined) source.host = host;
  const core: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns, uid: randomUUID() },
    involvedObject,
    reason: e.reason,
    message: e.message,
    source,
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type: e.type,
    eventTime: null,
    reportingComponent: e.component,
    reportingInstance: host ?? '',
  };
  env.store.save(prepareWrite(undefined, storedEventFromCore(core), now));
}
