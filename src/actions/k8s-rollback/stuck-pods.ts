import { ActionFailed } from '../../errors.js';
import type { ControllerRevision, Pod, Workload } from '../../kube/port.js';
import { selectorToString } from '../../kube/selector.js';
import { isControlledBy, namespacedName } from '../k8s/target.js';
import type { ActionContext } from '../types.js';

// A StatefulSet's forced rollback. With the default OrderedReady pod management, the StatefulSet controller
// replaces a pod only once every other pod is Running and Ready, so after an update whose pods never become
// ready, reverting the template is not enough: the broken pod is never replaced, and the rollout never ends.
// Kubernetes documents the fix (StatefulSet, "Forced rollback"): after reverting, delete the pods that run the
// bad revision; the controller re-creates them from the reverted template. salve deletes only pods of this
// StatefulSet that are not ready and not of the revision it rolled back to: a ready pod is left to the ordinary
// rolling update.

/** The label the StatefulSet controller sets on each pod: the name of the ControllerRevision it runs. */
const REVISION_LABEL = 'controller-revision-hash';

const isReady = (pod: Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Whether the controller, left alone, would wait forever for not-ready pods (OrderedReady, rolling update). */
function waitsForReadyPods(workload: Workload): boolean {
  const spec = workload.spec as { podManagementPolicy?: string };
  return (
    (spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady' &&
    (workload.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate'
  );
}

/**
 * Deletes the StatefulSet's pods that are not ready and do not run `good` (each only if it is still the pod that
 * was read). Returns their names; none for a DaemonSet, or a StatefulSet whose controller replaces them itself.
 */
export async function deleteStuckPods(
  ctx: ActionContext,
  kind: 'StatefulSet' | 'DaemonSet',
  workload: Workload,
  good: ControllerRevision,
): Promise<string[]> {
  if (kind !== 'StatefulSet' || !waitsForReadyPods(workload)) return [];
  const { namespace } = namespacedName(ctx.target);
  const pods = await ctx.kube.listPods(namespace, selectorToString(workload.spec.selector));
  const stuck = pods.filter(
    (pod) =>
      isControlledBy(pod.metadata, workload.metadata.uid) &&
      pod.metadata.deletionTimestamp === undefined &&
      pod.metadata.labels?.[REVISION_LABEL] !== good.metadata.name &&
      !isReady(pod),
  );
  const deleted: string[] = [];
  for (const pod of stuck) {
    const name = pod.metadata.name ?? '';
    try {
      await ctx.kube.deletePod(namespace, name, pod.metadata.uid ?? '');
      deleted.push(name);
    } catch (err) {
      // Gone or re-created since it was read: the controller has it in hand.
      const gone =
        err instanceof ActionFailed &&
        (err.code === 'SALVE_KUBE_NOT_FOUND' || err.code === 'SALVE_KUBE_CONFLICT');
      if (!gone) throw err;
    }
  }
  return deleted;
}
