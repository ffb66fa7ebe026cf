import { runKubelets } from '../pods/kubelet-pass.js';
import { syncCronJob } from './cronjob.js';
import { syncDeployment } from './deployment.js';
import { type ControllerEnv, stallKey } from './env.js';
import { syncHpa } from './hpa.js';
import { syncJob } from './job.js';
import { syncNodeTaints } from './node-lifecycle.js';
import { syncOrphanReplicaSets } from './replicaset.js';
import { syncDaemonSet, syncStatefulSet } from './revisions.js';

/** One pass of every controller, in a fixed order so a tick is deterministic; kubelets run last. */
export function runControllers(env: ControllerEnv): void {
  const live = (apiVersion: string, kind: string) =>
    env.store
      .list(apiVersion, kind)
      .filter((o) => !env.frozen.has(stallKey(kind, o.metadata.namespace ?? '', o.metadata.name ?? '')));
  for (const h of live('autoscaling/v2', 'HorizontalPodAutoscaler')) syncHpa(env, h);
  for (const d of live('apps/v1', 'Deployment')) syncDeployment(env, d);
  syncOrphanReplicaSets(env);
  for (const s of live('apps/v1', 'StatefulSet')) syncStatefulSet(env, s);
  for (const s of live('apps/v1', 'DaemonSet')) syncDaemonSet(env, s);
  for (const j of live('batch/v1', 'Job')) syncJob(env, j);
  for (const c of live('batch/v1', 'CronJob')) syncCronJob(env, c);
  for (const n of env.store.list('v1', 'Node')) syncNodeTaints(env, n);
  runKubelets(env);
}
