import { isSalveError } from '../../errors.js';
import { salveAttr, semconv } from '../../observability/trace-attributes.js';
import { noopSpan, type Span } from '../../observability/tracing.js';
import type { ActionContext } from '../types.js';

/** What a span reads of a request: only these fields, so this file needs nothing of the client (which calls it). */
type TracedEndpoint = { service: string; baseUrl: string };
type TracedCall = { method: string; path: string };

/** The URL a span names: the policy's URL and the path, without the query (it may carry identifiers). */
function requestAttributes(ep: TracedEndpoint, call: TracedCall) {
  const url = new URL(`${ep.baseUrl}${call.path}`);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    [semconv.httpMethod]: call.method,
    [semconv.urlFull]: `${url.origin}${url.pathname}`,
    [semconv.serverAddress]: url.hostname,
    [semconv.serverPort]: port,
    [salveAttr.peer]: ep.service,
  };
}

/**
 * One request to a peer (Airflow, MLflow, Argo, Kubeflow, a webhook) as a client span under the step's, and
 * the `traceparent` it carries: the run it starts links back to the heal. Untraced: `run` gets no header.
 */
export async function tracedRequest<T>(
  ctx: ActionContext,
  ep: TracedEndpoint,
  call: TracedCall,
  run: (traceHeaders: Record<string, string>, span: Span) => Promise<T>,
): Promise<T> {
  const tracer = ctx.tracer;
  if (tracer === undefined || !tracer.enabled) return run({}, noopSpan);
  const span = tracer.startSpan(call.method, { kind: 'client', attributes: requestAttributes(ep, call) });
  try {
    const result = await run(span.traceparent === null ? {} : { traceparent: span.traceparent }, span);
    span.end();
    return result;
  } catch (err) {
    span.setAttributes({ [semconv.errorType]: isSalveError(err) ? err.code : 'error' });
    span.fail(err instanceof Error ? err.message : String(err));
    span.end();
    throw err;
  }
}
