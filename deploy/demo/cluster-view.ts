import type { KubeSim } from '../../test/support/kube-sim/index.js';

type DeploymentView = {
  metadata: { annotations?: Record<string, string>; generation?: number };
  spec: { replicas?: number; template: { spec: { containers: Array<{ image: string }> } } };
  status?: {
    observedGeneration?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    replicas?: number;
  };
};

type ReplicaSetView = {
  metadata: { annotations?: Record<string, string> };
  spec: { template: { spec: { containers: Array<{ image: string }> } } };
};

export type Snapshot = {
  revision: number;
  image: string;
  desired: number;
  updated: number;
  available: number;
  /** Pods of every ReplicaSet: old ones leave only as new ones become available. */
  total: number;
  /** kubectl's rule, in short: the controller saw the spec and every replica is updated and available. */
  complete: boolean;
};

export function snapshot(sim: KubeSim, namespace: string, name: string): Snapshot {
  const d = sim.objects.get('apps/v1', 'Deployment', namespace, name) as unknown as DeploymentView;
  const desired = d.spec.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  return {
    revision: Number(d.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
    image: d.spec.template.spec.containers[0]?.image ?? '?',
    desired,
    updated,
    available,
    total: s.replicas ?? 0,
    complete:
      (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
      updated === desired &&
      available === desired &&
      (s.replicas ?? 0) === desired,
  };
}

/** Revision number -> image, from the ReplicaSets the Deployment owns (what `kubectl rollout history` reads). */
export function history(sim: KubeSim, namespace: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const rs of sim.objects.list('apps/v1', 'ReplicaSet', namespace) as unknown as ReplicaSetView[]) {
    const revision = Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    out.set(revision, rs.spec.template.spec.containers[0]?.image ?? '?');
  }
  return out;
}

/** Tells each change of the Deployment once: a new template, rollout progress, rollout complete. */
export function watchDeployment(
  sim: KubeSim,
  namespace: string,
  name: string,
  say: (text: string) => void,
): { poll(): Snapshot; initial: Snapshot; initialHistory: Map<number, string> } {
  const initial = snapshot(sim, namespace, name);
  const initialHistory = history(sim, namespace);
  let last = initial;
  let rolling = false;
  return {
    initial,
    initialHistory,
    poll() {
      const now = snapshot(sim, namespace, name);
      if (now.image !== last.image) {
        const from = [...initialHistory].find(([, image]) => image === now.image)?.[0];
        const back = from === undefined ? '' : `revision ${from}'s template`;
        say(`pod template changed: ${last.image} → ${now.image}${back ? ` (${back})` : ''}`);
        rolling = true;
      }
      if (rolling && !now.complete && (now.total !== last.total || now.updated !== last.updated)) {
        const old = Math.max(0, now.total - now.updated);
        say(`rolling out: ${old} old pod(s) still serving while the new ones become available`);
      }
      if (rolling && now.complete) {
        rolling = false;
        say(
          `rollout complete: revision ${now.revision}, ${now.updated}/${now.desired} updated and available, ${now.image}`,
        );
      }
      last = now;
      return now;
    },
  };
}
