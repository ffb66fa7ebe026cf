import type { KubeObject } from './types.js';
import { clone } from './util.js';

export type SeedRevision = {
  image: string;
  /** Deployment/StatefulSet/DaemonSet annotations at this revision (e.g. kubernetes.io/change-cause). */
  annotations?: Record<string, string>;
  /** Pod template annotations at this revision. */
  templateAnnotations?: Record<string, string>;
};

type Workload = {
  namespace: string;
  name: string;
  revisions: SeedRevision[];
  /** Selector and pod labels (default { app: name }). */
  labels?: Record<string, string>;
};

export type SeedDeployment = Workload & {
  replicas?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
};
export type SeedStatefulSet = Workload & { replicas?: number; serviceName?: string };
export type SeedDaemonSet = Workload;
export type SeedCronJob = {
  namespace: string;
  name: string;
  image: string;
  schedule?: string;
  suspend?: boolean;
  command?: string[];
  args?: string[];
  /** jobTemplate.metadata: what `kubectl create job --from=cronjob/...` copies onto the Job. */
  jobTemplate?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  labels?: Record<string, string>;
};

export type SeedHpa = {
  namespace: string;
  name: string;
  /** The Deployment (or StatefulSet) it scales. */
  target: { kind?: 'Deployment' | 'StatefulSet'; name: string };
  minReplicas?: number;
  maxReplicas: number;
  /** The recommendation the scenario makes the HPA controller follow (status.desiredReplicas). */
  desiredReplicas?: number;
  /** A CPU utilization metric: target and current percentages (current shows in `kubectl get hpa`). */
  cpu?: { target: number; current?: number };
};

export type SeedDeps = {
  put(obj: KubeObject): KubeObject;
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined;
  /** Runs the owning controller until the object's rollout is finished. */
  settle(kind: string, namespace: string, name: string): void;
};

function template(name: string, labels: Record<string, string>, rev: SeedRevision) {
  const metadata: Record<string, unknown> = { labels };
  if (rev.templateAnnotations) metadata.annotations = rev.templateAnnotations;
  return { metadata, spec: { containers: [{ name, image: rev.image }] } };
}

/**
 * Builds a workload revision by revision through the real controller logic, so ReplicaSets, ControllerRevisions,
 * annotations, generations and status are exactly what the controller leaves behind.
 */
function rollOut(deps: SeedDeps, kind: string, w: Workload, spec: Record<string, unknown>): KubeObject {
  if (w.revisions.length === 0) throw new Error(`seed.${kind}: at least one revision is required`);
  const labels = w.labels ?? { app: w.name };
  for (const rev of w.revisions) {
    const cur = deps.get('apps/v1', kind, w.namespace, w.name);
    const next: KubeObject = cur
      ? clone(cur)
      : {
          apiVersion: 'apps/v1',
          kind,
          metadata: { name: w.name, namespace: w.namespace, labels },
          spec: { ...spec, selector: { matchLabels: labels } },
        };
    if (rev.annotations) next.metadata.annotations = { ...next.metadata.annotations, ...rev.annotations };
    (next.spec as Record<string, unknown>).template = template(w.name, labels, rev);
    deps.put(next);
    deps.settle(kind, w.namespace, w.name);
  }
  return deps.get('apps/v1', kind, w.namespace, w.name) as KubeObject;
}

export function makeSeeds(deps: SeedDeps) {
  return {
    namespace(name: string): KubeObject {
      return (
        deps.get('v1', 'Namespace', '', name) ??
        deps.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
      );
    },
    deployment(s: SeedDeployment): KubeObject {
      const spec: Record<string, unknown> = { replicas: s.replicas ?? 1 };
      if (s.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = s.progressDeadlineSeconds;
      const d = rollOut(deps, 'Deployment', s, spec);
      if (!s.paused) return d;
      deps.put({ ...d, spec: { ...(d.spec as object), paused: true } });
      deps.settle('Deployment', s.namespace, s.name);
      return deps.get('apps/v1', 'Deployment', s.namespace, s.name) as KubeObject;
    },
    statefulSet(s: SeedStatefulSet): KubeObject {
      return rollOut(deps, 'StatefulSet', s, {
        replicas: s.replicas ?? 1,
        serviceName: s.serviceName ?? s.name,
      });
    },
    daemonSet(s: SeedDaemonSet): KubeObject {
      return rollOut(deps, 'DaemonSet', s, {});
    },
    hpa: (s: SeedHpa): KubeObject => deps.put(hpaObject(s)),
    cronJob(s: SeedCronJob): KubeObject {
      const labels = s.labels ?? { app: s.name };
      const container: Record<string, unknown> = { name: s.name, image: s.image };
      if (s.command) container.command = s.command;
      if (s.args) container.args = s.args;
      const jobMeta: Record<string, unknown> = {};
      if (s.jobTemplate?.labels) jobMeta.labels = s.jobTemplate.labels;
      if (s.jobTemplate?.annotations) jobMeta.annotations = s.jobTemplate.annotations;
      return deps.put({
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: s.name, namespace: s.namespace, labels },
        spec: {
          schedule: s.schedule ?? '0 3 * * *',
          suspend: s.suspend ?? false,
          jobTemplate: {
            metadata: jobMeta,
            spec: {
              backoffLimit: 2,
              template: {
                metadata: { labels },
                spec: { restartPolicy: 'OnFailure', containers: [container] },
              },
            },
          },
        },
      });
    },
  };
}

export type Seeds = ReturnType<typeof makeSeeds>;

/** An autoscaling/v2 HorizontalPodAutoscaler; the HPA controller acts on it from the next tick. */
export function hpaObject(s: SeedHpa): KubeObject {
  const spec: Record<string, unknown> = {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: s.target.kind ?? 'Deployment', name: s.target.name },
    maxReplicas: s.maxReplicas,
  };
  if (s.minReplicas !== undefined) spec.minReplicas = s.minReplicas;
  const status: Record<string, unknown> = {};
  if (s.desiredReplicas !== undefined) status.desiredReplicas = s.desiredReplicas;
  if (s.cpu !== undefined) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.cpu.target } },
      },
    ];
    if (s.cpu.current !== undefined)
      status.currentMetrics = [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: s.cpu.current } } },
      ];
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: s.name, namespace: s.namespace },
    spec,
    status,
  };
}
