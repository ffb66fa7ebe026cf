import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  EventsV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderMiddleware,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { semconv } from '../observability/trace-attributes.js';
import { noopTracer, type Tracer } from '../observability/tracing.js';
import { toKubeFailure } from './api-errors.js';
import {
  defaultHeadInformerSettings,
  type HeadInformerSettings,
  startHeadInformer,
} from './head-informer.js';
import { headApis, headOf } from './heads.js';
import type {
  ControllerRevision,
  CronJob,
  HorizontalPodAutoscaler,
  Job,
  KubeClient,
  KubeEvent,
  KubeNode,
  KubePatch,
  Pod,
  ReplicaSet,
  Workload,
  WorkloadKind,
} from './port.js';
import { describeCall, type KubeCall, serverOf, startKubeSpan, traceHeader } from './tracing.js';

export type ApiKubeClientOptions = {
  description: string;
  /** Per-request deadline; a request still pending then fails as retryable SALVE_KUBE_REQUEST_FAILED. */
  requestTimeoutMs?: number;
  /** Recorded in managedFields of everything salve patches or creates. */
  fieldManager?: string;
  /** Back-off and watch timeouts of the owner-chain informers. */
  informers?: Partial<HeadInformerSettings>;
  /** Each call a client span, each request its traceparent; default: not traced. */
  tracer?: Tracer;
};

const contentTypes = {
  json: PatchStrategy.JsonPatch,
  merge: PatchStrategy.MergePatch,
  strategic: PatchStrategy.StrategicMergePatch,
} as const;

/**
 * The generated client hands back class instances (Dates, models); actions work on the API's own JSON.
 * None of the models we read renames a field, so a JSON round trip restores the wire form.
 */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function patchBody(patch: KubePatch): unknown {
  return patch.type === 'json' ? patch.ops : patch.body;
}

/**
 * Sets a deadline and the trace context on every request; the header middleware supplies the client's own
 * Observable type.
 */
function requestOptions(timeoutMs: number, tracer: Tracer): ConfigurationOptions {
  const userAgent = setHeaderMiddleware('User-Agent', 'salve');
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(AbortSignal.timeout(timeoutMs));
          for (const [name, value] of Object.entries(traceHeader(tracer)))
            context.setHeaderParam(name, value);
          return userAgent.pre(context);
        },
        post: (context) => userAgent.post(context),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

/** KubeClient over @kubernetes/client-node 1.x. Every failure leaves as an ActionFailed (api-errors.ts). */
export function createApiKubeClient(kubeConfig: KubeConfig, options: ApiKubeClientOptions): KubeClient {
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const events = kubeConfig.makeApiClient(EventsV1Api);
  const autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const tracer = options.tracer ?? noopTracer;
  const server = serverOf(kubeConfig.getCurrentCluster()?.server);
  const base = requestOptions(timeoutMs, tracer);
  const fieldManager = options.fieldManager ?? 'salve';
  const heads = headApis(kubeConfig);
  const informerSettings = { ...defaultHeadInformerSettings, ...options.informers };

  async function call<T>(what: KubeCall, request: () => Promise<unknown>): Promise<T> {
    const operation = describeCall(what);
    const span = tracer.enabled ? startKubeSpan(tracer, what, operation, server) : null;
    try {
      return plain<T>(await (span ? tracer.withSpan(span, request) : request()));
    } catch (err) {
      const failure = toKubeFailure(err, operation, timeoutMs);
      span?.setAttributes({ [semconv.errorType]: failure.code });
      span?.fail(failure.message);
      throw failure;
    } finally {
      span?.end();
    }
  }

  const readers: Record<WorkloadKind, (namespace: string, name: string) => Promise<unknown>> = {
    Deployment: (namespace, name) => apps.readNamespacedDeployment({ namespace, name }, base),
    StatefulSet: (namespace, name) => apps.readNamespacedStatefulSet({ namespace, name }, base),
    DaemonSet: (namespace, name) => apps.readNamespacedDaemonSet({ namespace, name }, base),
  };

  const patchers: Record<
    WorkloadKind,
    (namespace: string, name: string, patch: KubePatch) => Promise<unknown>
  > = {
    Deployment: (namespace, name, patch) =>
      apps.patchNamespacedDeployment(
        { namespace, name, body: patchBody(patch), fieldManager },
        setHeaderOptions('Content-Type', contentTypes[patch.type], base),
      ),
    StatefulSet: (namespace, name, patch) =>
      apps.patchNamespacedStatefulSet(
        { namespace, name, body: patchBody(patch), fieldManager },
        setHeaderOptions('Content-Type', contentTypes[patch.type], base),
      ),
    DaemonSet: (namespace, name, patch) =>
      apps.patchNamespacedDaemonSet(
        { namespace, name, body: patchBody(patch), fieldManager },
        setHeaderOptions('Content-Type', contentTypes[patch.type], base),
      ),
  };

  return {
    configured: true,
    description: options.description,

    getWorkload: (kind, namespace, name) =>
      call<Workload>({ verb: 'get', kind, namespace, name }, () => readers[kind](namespace, name)),

    patchWorkload: (kind, namespace, name, patch) =>
      call<Workload>({ verb: 'patch', kind, namespace, name }, () => patchers[kind](namespace, name, patch)),

    listReplicaSets: async (namespace, labelSelector) => {
      const list = await call<{ items: ReplicaSet[] }>(
        { verb: 'list', kind: 'ReplicaSets', namespace, detail: labelSelector },
        () => apps.listNamespacedReplicaSet({ namespace, labelSelector }, base),
      );
      return list.items;
    },

    listControllerRevisions: async (namespace, labelSelector) => {
      const list = await call<{ items: ControllerRevision[] }>(
        { verb: 'list', kind: 'ControllerRevisions', namespace, detail: labelSelector },
        () => apps.listNamespacedControllerRevision({ namespace, labelSelector }, base),
      );
      return list.items;
    },

    listPods: async (namespace, labelSelector) => {
      const list = await call<{ items: Pod[] }>(
        { verb: 'list', kind: 'Pods', namespace, detail: labelSelector },
        () => core.listNamespacedPod({ namespace, labelSelector }, base),
      );
      return list.items;
    },

    deletePod: async (namespace, name, uid) => {
      await call<unknown>({ verb: 'delete', kind: 'Pod', namespace, name }, () =>
        core.deleteNamespacedPod({ namespace, name, body: { preconditions: { uid } } }, base),
      );
    },

    getCronJob: (namespace, name) =>
      call<CronJob>({ verb: 'get', kind: 'CronJob', namespace, name }, () =>
        batch.readNamespacedCronJob({ namespace, name }, base),
      ),

    getJob: (namespace, name) =>
      call<Job>({ verb: 'get', kind: 'Job', namespace, name }, () =>
        batch.readNamespacedJob({ namespace, name }, base),
      ),

    listJobs: async (namespace, labelSelector) => {
      const list = await call<{ items: Job[] }>({ verb: 'list', kind: 'Jobs', namespace }, () =>
        batch.listNamespacedJob(
          labelSelector === undefined ? { namespace } : { namespace, labelSelector },
          base,
        ),
      );
      return list.items;
    },

    createJob: (namespace, job) =>
      call<Job>({ verb: 'create', kind: 'Job', namespace, name: job.metadata.name ?? '' }, () =>
        // The port's Job is the wire JSON; the generated model is the same shape with looser typing.
        batch.createNamespacedJob({ namespace, body: job as never, fieldManager }, base),
      ),

    createEvent: async (namespace, event: KubeEvent) => {
      await call<unknown>({ verb: 'create', kind: 'Event', namespace, name: event.metadata.name }, () =>
        events.createNamespacedEvent(
          {
            namespace,
            body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...event } as never,
            fieldManager,
          },
          base,
        ),
      );
    },

    getAutoscaler: (namespace, name) =>
      call<HorizontalPodAutoscaler>({ verb: 'get', kind: 'HorizontalPodAutoscaler', namespace, name }, () =>
        autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name }, base),
      ),

    patchAutoscaler: (namespace, name, patch) =>
      call<HorizontalPodAutoscaler>({ verb: 'patch', kind: 'HorizontalPodAutoscaler', namespace, name }, () =>
        autoscaling.patchNamespacedHorizontalPodAutoscaler(
          { namespace, name, body: patchBody(patch), fieldManager },
          setHeaderOptions('Content-Type', contentTypes[patch.type], base),
        ),
      ),

    getNode: (name) =>
      call<KubeNode>({ verb: 'get', kind: 'Node', name }, () => core.readNode({ name }, base)),

    patchNode: (name, patch) =>
      call<KubeNode>({ verb: 'patch', kind: 'Node', name }, () =>
        core.patchNode(
          { name, body: patchBody(patch), fieldManager },
          setHeaderOptions('Content-Type', contentTypes[patch.type], base),
        ),
      ),

    getHead: async (kind, namespace, name, getOptions) => {
      const ms = getOptions?.timeoutMs ?? timeoutMs;
      const operation = `get ${kind} ${namespace}/${name}`;
      try {
        const head = headOf(await heads[kind].read(namespace, name, requestOptions(ms, tracer)));
        if (head !== undefined) return head;
      } catch (err) {
        throw toKubeFailure(err, operation, ms);
      }
      throw toKubeFailure(new Error('the API answered an object without name, namespace or uid'), operation);
    },

    watchHeads: (kind, namespace, handlers) =>
      startHeadInformer(kubeConfig, heads[kind], namespace, kind, handlers, {
        settings: informerSettings,
        // The cache's lists and watches belong to no heal: they carry no trace context.
        requestOptions: (ms) => requestOptions(ms, noopTracer),
      }),
  };
}
