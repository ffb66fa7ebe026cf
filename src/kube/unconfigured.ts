import { ActionFailed } from '../errors.js';
import type { KubeClient } from './port.js';

/**
 * The client used when no cluster is configured: salve still serves webhooks, records and dry-runs,
 * and every real Kubernetes call fails as a non-retryable SALVE_KUBE_NOT_CONFIGURED.
 */
export function createUnconfiguredKubeClient(reason: string): KubeClient {
  const fail = async (): Promise<never> => {
    throw new ActionFailed('SALVE_KUBE_NOT_CONFIGURED', `no Kubernetes cluster is configured: ${reason}`, {
      retryable: false,
    });
  };
  return {
    configured: false,
    description: reason,
    getWorkload: fail,
    patchWorkload: fail,
    listReplicaSets: fail,
    listControllerRevisions: fail,
    listPods: fail,
    deletePod: fail,
    getCronJob: fail,
    getJob: fail,
    listJobs: fail,
    createJob: fail,
    createEvent: fail,
    getAutoscaler: fail,
    patchAutoscaler: fail,
    getNode: fail,
    patchNode: fail,
    getHead: fail,
    // Nothing to list: the informer never syncs, and says why.
    watchHeads: () => {
      const why = new ActionFailed(
        'SALVE_KUBE_NOT_CONFIGURED',
        `no Kubernetes cluster is configured: ${reason}`,
        {
          retryable: false,
        },
      );
      return { synced: false, failing: why, get: () => undefined, list: () => [], stop: async () => {} };
    },
  };
}
