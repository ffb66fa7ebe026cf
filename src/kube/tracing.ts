import { salveAttr, semconv } from '../observability/trace-attributes.js';
import type { Span, Tracer } from '../observability/tracing.js';

/**
 * One call of the Kubernetes API as salve makes it: what it does to which object. No namespace: a
 * cluster-scoped object (a Node).
 */
export type KubeCall = { verb: string; kind: string; namespace?: string; name?: string; detail?: string };

/**
 * `patch Deployment ml-prod/scorer`, `patch Node worker-1`, `list ReplicaSets in ml-prod (app=scorer)`: errors
 * and spans say it.
 */
export function describeCall(c: KubeCall): string {
  if (c.name !== undefined)
    return `${c.verb} ${c.kind} ${c.namespace === undefined ? '' : `${c.namespace}/`}${c.name}`;
  return `${c.verb} ${c.kind} in ${c.namespace ?? 'the cluster'}${c.detail === undefined ? '' : ` (${c.detail})`}`;
}

/** The API server's address, for the spans' server.address and server.port. */
export function serverOf(url: string | undefined): { address?: string; port?: number } {
  try {
    const parsed = new URL(url ?? '');
    const port = parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return { address: parsed.hostname, port };
  } catch {
    return {};
  }
}

/**
 * The client span of one call (named by verb and kind, so names stay few); the requests it makes carry its
 * traceparent (`traceHeader`), so an audit log or a tracing API server can tie them to the heal.
 */
export function startKubeSpan(
  tracer: Tracer,
  c: KubeCall,
  operation: string,
  server: { address?: string; port?: number },
): Span {
  return tracer.startSpan(`kube ${c.verb} ${c.kind}`, {
    kind: 'client',
    attributes: {
      [salveAttr.kubeOperation]: operation,
      ...(c.namespace === undefined ? {} : { [semconv.k8sNamespace]: c.namespace }),
      [salveAttr.peer]: 'kubernetes',
      [semconv.serverAddress]: server.address,
      [semconv.serverPort]: server.port,
    },
  });
}

/** The `traceparent` header a request made now carries, when a span is active. */
export function traceHeader(tracer: Tracer): Record<string, string> {
  const traceparent = tracer.activeSpan().traceparent;
  return traceparent === null ? {} : { traceparent };
}
