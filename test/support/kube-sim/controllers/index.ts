import { runKubelets } from '../pods/kubelet-pass.js';
import { syncCronJob } from './cronjob.js';
import { syncDeployment } from './deployment.js';
import type { ControllerEnv } from './env.js';
import { syncHpa } from './hpa.js';
import { syncJob } from './job.js';
import { syncOrphanReplicaSets } from './replicaset.js';
import { syncDaemonSet, syncStatefulSet } from './revisions.js';

/** One pass of every controller, in a fixed order so a tick is deterministic; kubelets run last. */
export function runControllers(env: ControllerEnv): void {
  for (const h of env.store.list('autoscaling/v2', 'HorizontalPodAutoscaler')) syncHpa(env, h);
  for (const d of env.store.list('apps/v1', 'Deployment')) syncDeployment(env, d);
  syncOrphanReplicaSets(env);
  for (const s of env.store.list('apps/v1', 'StatefulSet')) syncStatefulSet(env, s);
  for (const s of env.store.list('apps/v1', 'DaemonSet')) syncDaemonSet(env, s);
  for (const j of env.store.list('batch/v1', 'Job')) syncJob(env, j);
  for (const c of env.store.list('batch/v1', 'CronJob')) syncCronJob(env, c);
  runKubelets(env);
}
