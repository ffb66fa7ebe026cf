import type { KubeObject } from './types.js';
import { ensurePath, getPath, isObject } from './util.js';

type Obj = Record<string, unknown>;

function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined) o[key] = value;
}

function defaultContainer(c: unknown): void {
  if (!isObject(c)) return;
  const image = typeof c.image === 'string' ? c.image : '';
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
  setDefault(c, 'imagePullPolicy', tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'resources', {});
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) setDefault(p, 'protocol', 'TCP');
}

export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) cs.forEach(defaultContainer);
  }
}

/** What the API server's defaulting (and Go's zero values) add to a pod template. */
export function defaultPodTemplate(template: unknown): void {
  if (!isObject(template)) return;
  const meta = ensurePath(template, ['metadata']);
  // ObjectMeta.creationTimestamp is not omitempty in Go: templates always carry `creationTimestamp: null`.
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  defaultPodSpec(ensurePath(template, ['spec']));
}

const BY_KIND: Record<string, (spec: Obj, obj: KubeObject) => void> = {
  Deployment: (spec) => {
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    setDefault(spec, 'strategy', { type: 'RollingUpdate' });
    const strategy = spec.strategy as Obj;
    if (strategy.type === 'RollingUpdate') {
      setDefault(strategy, 'rollingUpdate', {});
      const ru = strategy.rollingUpdate as Obj;
      setDefault(ru, 'maxUnavailable', '25%');
      setDefault(ru, 'maxSurge', '25%');
    }
    defaultPodTemplate(spec.template);
  },
  ReplicaSet: (spec) => {
    setDefault(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },
  StatefulSet: (spec) => {
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    setDefault(spec, 'updateStrategy', { type: 'RollingUpdate' });
    const strategy = spec.updateStrategy as Obj;
    if (strategy.type === 'RollingUpdate') setDefault(strategy, 'rollingUpdate', { partition: 0 });
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
    defaultPodTemplate(spec.template);
  },
  DaemonSet: (spec) => {
    setDefault(spec, 'updateStrategy', { type: 'RollingUpdate' });
    const strategy = spec.updateStrategy as Obj;
    if (strategy.type === 'RollingUpdate')
      setDefault(strategy, 'rollingUpdate', { maxUnavailable: 1, maxSurge: 0 });
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec.template);
  },
  Job: (spec) => {
    setDefault(spec, 'parallelism', 1);
    setDefault(spec, 'completions', 1);
    setDefault(spec, 'backoffLimit', 6);
    setDefault(spec, 'completionMode', 'NonIndexed');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
    defaultPodTemplate(spec.template);
  },
  CronJob: (spec) => {
    setDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    defaultPodTemplate(getPath(spec, ['jobTemplate', 'spec', 'template']));
  },
  Pod: (spec) => defaultPodSpec(spec),
  HorizontalPodAutoscaler: (spec) => setDefault(spec, 'minReplicas', 1),
};

/** Mutates `obj` with the defaults a real API server applies on every write. */
export function applyDefaults(obj: KubeObject): void {
  if (obj.kind === 'Namespace') {
    setDefault(obj, 'spec', { finalizers: ['kubernetes'] });
    setDefault(obj, 'status', { phase: 'Active' });
    return;
  }
  const fn = BY_KIND[obj.kind];
  if (fn === undefined) return;
  if (!isObject(obj.spec)) obj.spec = {};
  fn(obj.spec as Obj, obj);
}
