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
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [k: string]: unknown;
};

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
};

export type RecordedRequest = {
  method: string;
  /** URL path without the query string, e.g. /apis/apps/v1/namespaces/ml-prod/deployments/x. */
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  accept: string | undefined;
  userAgent: string | undefined;
  /** The W3C trace context the client sent, when it sent one. */
  traceparent: string | undefined;
  /** Parsed JSON body when it parses, the raw text when it does not, undefined when empty. */
  body: unknown;
  /** Simulator time (options.now) when the request arrived. */
  at: number;
  /** HTTP status answered; undefined while in flight or when the connection was dropped. */
  status?: number;
  /** Which injected fault, if any, shaped the answer. */
  fault?: 'fail' | 'drop' | 'conflict' | 'delay';
};

export type KubeSimOptions = {
  /** Milliseconds between controller ticks that advance rollout status (default 50). 0 = manual only. */
  tickMs?: number;
  /** How many replicas become ready/available per tick (default: all at once). */
  readyPerTick?: number;
  /** The simulator's time source in epoch ms (default Date.now); drives timestamps and progress deadlines. */
  now?: () => number;
  /** Port to listen on (default 0 = a random free port). */
  port?: number;
  /** Bearer token written into kubeconfigs (default "kube-sim-token"). */
  token?: string;
  /** When true, requests without `Authorization: Bearer <token>` get 401 (default false). */
  requireAuth?: boolean;
  /** Worker Nodes created at start, worker-1..N: pods are scheduled onto them, DaemonSets run on each (default 3). */
  nodes?: number;
  /** Store events kept for watches resuming from an old resourceVersion (default 10000); older gives 410 Gone. */
  historyLimit?: number;
  /** Seeds the random characters in generated pod names, so a scenario yields the same names every run. */
  randomSeed?: string;
  /** How often watches with allowWatchBookmarks=true get a BOOKMARK (default 60000, about what kube-apiserver does). */
  watchBookmarkMs?: number;
};
