/**
 * The narrow Kubernetes port actions talk to. Actions never import @kubernetes/client-node;
 * the adapter in this folder (client.ts) implements this interface over it. Objects are plain JSON in
 * the API server's own field names, typed only as far as the actions read them.
 *
 * Every method throws `ActionFailed` with a SALVE_KUBE_* code on failure (see src/errors.ts):
 * NOT_FOUND, FORBIDDEN, INVALID (not retryable), CONFLICT and REQUEST_FAILED (retryable),
 * NOT_CONFIGURED when no cluster is configured. Creating an object that exists throws
 * SALVE_KUBE_CONFLICT with `details.reason === 'AlreadyExists'`.
 */

export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
};

export type ObjectMeta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [field: string]: unknown;
};

export type LabelSelectorRequirement = { key: string; operator: string; values?: string[] };
export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
};

export type PodTemplate = {
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
};

export type Condition = { type: string; status: string; reason?: string; message?: string };

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export type Workload = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    selector: LabelSelector;
    template: PodTemplate;
    paused?: boolean;
    progressDeadlineSeconds?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number; [field: string]: unknown } };
    [field: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    currentNumberScheduled?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    conditions?: Condition[];
    [field: string]: unknown;
  };
};

export type ReplicaSet = {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector?: LabelSelector; template?: PodTemplate };
};

export type ControllerRevision = {
  metadata: ObjectMeta;
  revision: number;
  /** The raw patch the controller stored: `{ spec: { template: { ..., $patch: 'replace' } } }`. */
  data?: Record<string, unknown>;
};

export type JobTemplate = {
  metadata?: ObjectMeta;
  spec: Record<string, unknown>;
};

export type CronJob = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { schedule?: string; suspend?: boolean; jobTemplate: JobTemplate; [field: string]: unknown };
  status?: { active?: { name?: string; namespace?: string; uid?: string }[]; [field: string]: unknown };
};

export type Job = {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: Condition[];
    [field: string]: unknown;
  };
};

export type ObjectRef = { apiVersion: string; kind: string; name: string; namespace: string; uid?: string };

/** An events.k8s.io/v1 Event; `eventTime` is a MicroTime string with 6 fractional digits. */
export type KubeEvent = {
  metadata: { name: string; namespace: string };
  eventTime: string;
  type: 'Normal' | 'Warning';
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  note: string;
  regarding: ObjectRef;
  /** A second object the event is about, e.g. the Job created from the regarding CronJob. */
  related?: ObjectRef;
};

export type JsonPatchOp =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** The three patch flavours kubectl uses; the adapter sets the matching Content-Type. */
export type KubePatch =
  | { type: 'json'; ops: JsonPatchOp[] }
  | { type: 'merge'; body: Record<string, unknown> }
  | { type: 'strategic'; body: Record<string, unknown> };

export interface KubeClient {
  /** False when no cluster is configured: every call then throws SALVE_KUBE_NOT_CONFIGURED. */
  readonly configured: boolean;
  /** Where the client points (context and server, or why none), for /readyz and logs. */
  readonly description: string;

  getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<Workload>;
  patchWorkload(kind: WorkloadKind, namespace: string, name: string, patch: KubePatch): Promise<Workload>;
  /** `labelSelector` in the API's string form (`app=scorer,tier in (web)`). */
  listReplicaSets(namespace: string, labelSelector: string): Promise<ReplicaSet[]>;
  listControllerRevisions(namespace: string, labelSelector: string): Promise<ControllerRevision[]>;
  getCronJob(namespace: string, name: string): Promise<CronJob>;
  getJob(namespace: string, name: string): Promise<Job>;
  listJobs(namespace: string, labelSelector?: string): Promise<Job[]>;
  createJob(namespace: string, job: Job): Promise<Job>;
  createEvent(namespace: string, event: KubeEvent): Promise<void>;
}
