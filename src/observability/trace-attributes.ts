// The attribute names salve's spans carry: OpenTelemetry's semantic conventions where one exists (checked
// against @opentelemetry/semantic-conventions by test/unit/tracing-attributes.test.ts), `salve.*` otherwise.
import { type TargetRef, targetKeyOf } from '../domain/target.js';
import type { Attributes } from './tracing.js';

export const semconv = {
  k8sNamespace: 'k8s.namespace.name',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  httpRoute: 'http.route',
  urlFull: 'url.full',
  urlPath: 'url.path',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
} as const;

/** The Kubernetes workload kinds with an attribute of their own: `k8s.<kind>.name`. */
export const k8sNameAttribute: Readonly<Record<string, string>> = {
  Deployment: 'k8s.deployment.name',
  StatefulSet: 'k8s.statefulset.name',
  DaemonSet: 'k8s.daemonset.name',
  ReplicaSet: 'k8s.replicaset.name',
  CronJob: 'k8s.cronjob.name',
  Job: 'k8s.job.name',
  Pod: 'k8s.pod.name',
  Node: 'k8s.node.name',
};

export const salveAttr = {
  healId: 'salve.heal.id',
  policy: 'salve.policy',
  /** The target key: `Kind/namespace/name`, `Kind/name` for a cluster-scoped kind. */
  target: 'salve.target',
  /** How the heal opened: `alert` or `manual`. */
  trigger: 'salve.heal.trigger',
  /** The stage a span worked on, the event it decided and the stage the heal moved to. */
  stage: 'salve.heal.stage',
  event: 'salve.heal.event',
  to: 'salve.heal.to',
  /** The heal's state (the operators' word) after the span's move. */
  state: 'salve.heal.state',
  reason: 'salve.heal.reason',
  /** From 1, as people see steps. */
  step: 'salve.heal.step',
  attempt: 'salve.heal.attempt',
  action: 'salve.action',
  dryRun: 'salve.dry_run',
  alertName: 'salve.alert.name',
  guard: 'salve.guard',
  verdict: 'salve.guard.verdict',
  detail: 'salve.detail',
  outcome: 'salve.outcome',
  actor: 'salve.actor',
  /** Where an operator's decision came from: api, slack. */
  via: 'salve.via',
  /** Which peer an HTTP action request went to: airflow, mlflow, argo, ... */
  peer: 'salve.peer.service',
  deliveryId: 'salve.delivery.id',
  alertsReceived: 'salve.alerts.received',
  alertsNew: 'salve.alerts.new',
  healsOpened: 'salve.heals.opened',
  healsAttached: 'salve.heals.attached',
  /** A `traceparent` the request carried was not taken as the parent (why: untrusted, malformed). */
  traceparentIgnored: 'salve.traceparent.ignored',
  kubeOperation: 'salve.kube.operation',
} as const;

/** What a target is, in the semantic conventions' words (`k8s.namespace.name`, `k8s.deployment.name`, ...). */
export function targetAttributes(target: TargetRef): Attributes {
  const nameAttribute = k8sNameAttribute[target.kind];
  return {
    // A cluster-scoped target (a Node) is in no namespace: the attribute is left out, never empty.
    ...(target.namespace === undefined ? {} : { [semconv.k8sNamespace]: target.namespace }),
    ...(nameAttribute === undefined ? {} : { [nameAttribute]: target.name }),
    [salveAttr.target]: targetKeyOf(target),
  };
}
