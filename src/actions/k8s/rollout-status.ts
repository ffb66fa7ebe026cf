import type { Workload, WorkloadKind } from '../../kube/port.js';
import type { ActionContext, RolloutState } from '../types.js';
import { namespacedName, workloadKindOf } from './target.js';

const done = (detail: string): RolloutState => ({ state: 'done', detail });
const waiting = (detail: string): RolloutState => ({ state: 'waiting', detail });
const failed = (detail: string): RolloutState => ({ state: 'failed', detail });

/** kubectl's DeploymentStatusViewer. */
export function deploymentStatus(deployment: Workload): RolloutState {
  const name = deployment.metadata.name;
  const status = deployment.status ?? {};
  if ((deployment.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return waiting('Waiting for deployment spec update to be observed...');
  }
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return failed(`deployment "${name}" exceeded its progress deadline`);
  }
  const desired = deployment.spec.replicas;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (desired !== undefined && updated < desired) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`,
    );
  }
  if (replicas > updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`,
    );
  }
  if (available < updated) {
    return waiting(
      `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
    );
  }
  return done(`deployment "${name}" successfully rolled out`);
}

/** kubectl's StatefulSetStatusViewer. */
export function statefulSetStatus(set: Workload): RolloutState {
  const strategy = set.spec.updateStrategy;
  // The API server defaults the strategy to RollingUpdate; only an explicit OnDelete has no rollout to watch.
  if (strategy?.type !== undefined && strategy.type !== 'RollingUpdate') {
    return failed('rollout status is only available for RollingUpdate strategy type');
  }
  const status = set.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (observed === 0 || (set.metadata.generation ?? 0) > observed) {
    return waiting('Waiting for statefulset spec update to be observed...');
  }
  const desired = set.spec.replicas;
  const ready = status.readyReplicas ?? 0;
  if (desired !== undefined && ready < desired)
    return waiting(`Waiting for ${desired - ready} pods to be ready...`);
  const updated = status.updatedReplicas ?? 0;
  const partition = strategy?.rollingUpdate?.partition;
  if (strategy?.rollingUpdate !== undefined) {
    if (desired !== undefined && partition !== undefined && updated < desired - partition) {
      return waiting(
        `Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`,
      );
    }
    return done(`partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  if (status.updateRevision !== status.currentRevision) {
    return waiting(
      `waiting for statefulset rolling update to complete ${updated} pods at revision ${status.updateRevision}...`,
    );
  }
  return done(
    `statefulset rolling update complete ${status.currentReplicas ?? updated} pods at revision ${status.currentRevision}...`,
  );
}

/** kubectl's DaemonSetStatusViewer. */
export function daemonSetStatus(daemon: Workload): RolloutState {
  const name = daemon.metadata.name;
  const strategy = daemon.spec.updateStrategy;
  if (strategy?.type !== undefined && strategy.type !== 'RollingUpdate') {
    return failed('rollout status is only available for RollingUpdate strategy type');
  }
  const status = daemon.status ?? {};
  if ((daemon.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return waiting('Waiting for daemon set spec update to be observed...');
  }
  const desired = status.desiredNumberScheduled ?? 0;
  const updated = status.updatedNumberScheduled ?? 0;
  const available = status.numberAvailable ?? 0;
  if (updated < desired) {
    return waiting(
      `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    );
  }
  if (available < desired) {
    return waiting(
      `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    );
  }
  return done(`daemon set "${name}" successfully rolled out`);
}

const viewers: Record<WorkloadKind, (workload: Workload) => RolloutState> = {
  Deployment: deploymentStatus,
  StatefulSet: statefulSetStatus,
  DaemonSet: daemonSetStatus,
};

/** Reads the target and applies kubectl's rollout-status rule for its kind. */
export async function readRolloutStatus(
  ctx: ActionContext,
  action: string,
  kinds: readonly WorkloadKind[],
): Promise<RolloutState> {
  const kind = workloadKindOf(ctx.target, action, kinds);
  const { namespace, name } = namespacedName(ctx.target);
  const workload = await ctx.kube.getWorkload(kind, namespace, name);
  return viewers[kind](workload);
}
