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

/** What salve reads of a pod: who controls it, which revision it runs, whether it is ready. */
export type Pod = {
  metadata: ObjectMeta;
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }>; [field: string]: unknown };
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

/** An autoscaling/v2 HorizontalPodAutoscaler, as far as k8s.scale reads it. */
export type HorizontalPodAutoscaler = {
  metadata: ObjectMeta;
  spec: {
    minReplicas?: number;
    maxReplicas: number;
    scaleTargetRef: ScaleTargetRef;
    [field: string]: unknown;
  };
  status?: { currentReplicas?: number; desiredReplicas?: number; [field: string]: unknown };
};

/** A core/v1 Node, as far as salve reads it: whether it takes new pods, and its conditions. */
export type KubeNode = {
  metadata: ObjectMeta;
  spec?: {
    /** Set by `kubectl cordon`; absent or false: the scheduler may place pods here. */
    unschedulable?: boolean;
    taints?: Array<{ key: string; value?: string; effect: string; timeAdded?: string }>;
    [field: string]: unknown;
  };
  status?: { conditions?: Condition[]; [field: string]: unknown };
};

/** A reference to an object: a cluster-scoped one (a Node) has no namespace. */
export type ObjectRef = { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string };

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

/**
 * The kinds an owner chain passes through (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob, ...): what
 * the owner-chain cache lists, watches and reads (src/kube/owner-cache.ts).
 */
export const chainKinds = [
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
] as const;
export type ChainKind = (typeof chainKinds)[number];

export function isChainKind(kind: string): kind is ChainKind {
  return (chainKinds as readonly string[]).includes(kind);
}

/** What an HPA scales (`spec.scaleTargetRef`), as the API writes it. */
export type ScaleTargetRef = { apiVersion?: string; kind: string; name: string };

/**
 * What salve keeps of a watched object: who it is, who controls it and, for an HPA, what it scales. Nothing
 * else: a few thousand pods cost a few hundred bytes each, not their whole specs and statuses.
 */
export type ObjectHead = {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion?: string;
    ownerReferences?: OwnerReference[];
    /** Set while the object is being deleted (a terminating pod): it still resolves. */
    deletionTimestamp?: string;
  };
  spec?: { scaleTargetRef?: ScaleTargetRef };
};

export type HeadChange = 'add' | 'update' | 'delete';

/** What a head informer reports. Callbacks run on the event loop: they must not block. */
export type HeadWatchHandlers = {
  /** After each complete list: the first sync, and every relist (after 410 Gone or an error). */
  onSynced?(): void;
  onChange?(change: HeadChange, head: ObjectHead): void;
  /** The list or the watch failed (an ActionFailed with a SALVE_KUBE_* code); it lists again after a back-off. */
  onError?(err: Error): void;
};

/**
 * List + watch of one kind in one namespace, kept in memory as controllers do: list, then watch from the list's
 * resourceVersion; relist when the watch answers 410 Gone; after a failure, list again after a back-off.
 */
export interface HeadInformer {
  /** True once a list has completed; it stays true through later failures (the heads are then stale). */
  readonly synced: boolean;
  /** The last failure since the last successful list or watch event, if any. */
  readonly failing: Error | undefined;
  get(name: string): ObjectHead | undefined;
  list(): ObjectHead[];
  stop(): Promise<void>;
}

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
  listPods(namespace: string, labelSelector: string): Promise<Pod[]>;
  /** Deletes the pod only if it is still the one read (`uid`): a pod re-created meanwhile is left alone. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  getCronJob(namespace: string, name: string): Promise<CronJob>;
  getJob(namespace: string, name: string): Promise<Job>;
  listJobs(namespace: string, labelSelector?: string): Promise<Job[]>;
  createJob(namespace: string, job: Job): Promise<Job>;
  createEvent(namespace: string, event: KubeEvent): Promise<void>;
  getAutoscaler(namespace: string, name: string): Promise<HorizontalPodAutoscaler>;
  /** A Node (cluster-scoped: GET /api/v1/nodes/{name}). */
  getNode(name: string): Promise<KubeNode>;
  patchNode(name: string, patch: KubePatch): Promise<KubeNode>;
  patchAutoscaler(namespace: string, name: string, patch: KubePatch): Promise<HorizontalPodAutoscaler>;
  /** One object's head by name; `timeoutMs` bounds this request below the client's default deadline. */
  getHead(
    kind: ChainKind,
    namespace: string,
    name: string,
    options?: { timeoutMs?: number },
  ): Promise<ObjectHead>;
  /** Starts listing and watching one kind in one namespace; `stop()` ends it. */
  watchHeads(kind: ChainKind, namespace: string, handlers: HeadWatchHandlers): HeadInformer;
}
