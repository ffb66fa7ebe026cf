import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakeAirflow, startFakeAirflow } from '../support/fake-airflow.js';
import { type FakeHttp, startFakeHttp } from '../support/fake-webhook.js';
import { type OtlpReceiver, startOtlpReceiver, traceOf } from '../support/otlp-receiver.js';

// Requests to the ML platforms carry the heal's trace context: the Airflow (or Argo, Kubeflow, webhook) run a
// step starts can link back to the heal, and each request is a client span under the step.

const airflowPassword = 'trace-airflow-pw';

let receiver: OtlpReceiver;
let h: EngineHarness | undefined;
let airflow: FakeAirflow | undefined;
let hook: FakeHttp | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await h?.close();
  await airflow?.close();
  await hook?.close();
  await receiver.close();
  h = airflow = hook = undefined;
});

const env = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' });

describe('W3C traceparent on action requests', () => {
  it('every Airflow request carries the context of its own client span, in the heal’s trace', async () => {
    airflow = await startFakeAirflow({
      version: 3,
      username: 'salve',
      password: airflowPassword,
      dags: ['retrain'],
    });
    h = await startEngineHarness({
      env: env(),
      overrides: { env: { AIRFLOW_PASSWORD: airflowPassword } },
      policies: {
        'drift.yaml': `apiVersion: salve/v1
policies:
  - name: drift-airflow
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: retrain.airflow
        with:
          url: "${airflow.url}"
          version: 3
          dag: retrain
          auth: { username: salve, password: { env: AIRFLOW_PASSWORD } }
          waitForCompletion: true
        verify: { rollout: 2h, resolved: 30m }
`,
      },
    });
    const { opened } = await h.fire('fraud-scorer', { alertname: 'ModelPredictionDrift' });
    await h.run();
    await h.advance(2_000); // the run is polled under the rollout stage
    const heal = await h.heal(opened[0]!);
    const traceId = heal.traceContext!.split('-')[1]!;
    await h.deps.tracer.flush();
    await receiver.waitForSpans('the rollout poll', (s) =>
      s.some((x) => x.traceId === traceId && x.name === 'heal rollout'),
    );
    const trace = traceOf(receiver.spans, traceId);

    const clientSpans = new Map(trace.spans.filter((s) => s.kind === 'client').map((s) => [s.spanId, s]));
    expect(airflow.requests.length).toBeGreaterThan(2);
    for (const request of airflow.requests) {
      const traceparent = String(request.headers.traceparent);
      expect(traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      // The span the header names is the request's own client span, with what the conventions say of it.
      const span = clientSpans.get(traceparent.split('-')[2]!)!;
      expect(span).toMatchObject({
        name: request.method,
        attributes: {
          'http.request.method': request.method,
          'url.full': `${airflow.url}${request.path}`,
          'server.address': '127.0.0.1',
          'salve.peer.service': expect.any(String),
        },
      });
      expect(span.attributes['http.response.status_code']).toBeGreaterThanOrEqual(200);
      expect(span.attributes['url.full']).not.toContain('?');
      expect(['heal action', 'heal rollout']).toContain(trace.parentOf(span)!.name);
    }
    // The trigger itself is under the action stage, the poll under the rollout stage.
    const trigger = airflow.requests.find((r) => r.method === 'POST' && r.path.endsWith('/dagRuns'))!;
    expect(trace.parentOf(clientSpans.get(String(trigger.headers.traceparent).split('-')[2]!)!)!.name).toBe(
      'heal action',
    );
    // No credential in a span.
    expect(JSON.stringify(trace.spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      airflowPassword,
    );
  });

  it('salve’s context wins over a traceparent header the policy writes; a failed request is an error span', async () => {
    hook = await startFakeHttp(() => ({ status: 503, body: { message: 'overloaded' } }));
    h = await startEngineHarness({
      env: env(),
      policies: {
        'hook.yaml': `apiVersion: salve/v1
policies:
  - name: retrain-hook
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: webhook
        with:
          url: "${hook.url}/retrain"
          headers: { traceparent: "00-11111111111111111111111111111111-2222222222222222-01" }
`,
      },
    });
    const { opened } = await h.fire('fraud-scorer', { alertname: 'ModelPredictionDrift' });
    await h.run();
    const heal = await h.heal(opened[0]!);
    const traceId = heal.traceContext!.split('-')[1]!;
    expect(String(hook.requests[0]!.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-`));
    await h.deps.tracer.flush();
    await receiver.waitForSpans('the request span', (s) => s.some((x) => x.name === 'POST'));
    const post = receiver.spans.find((s) => s.name === 'POST')!;
    expect(post).toMatchObject({
      traceId,
      status: { code: 'error' },
      attributes: { 'http.response.status_code': 503, 'error.type': 'SALVE_HTTP_REQUEST_FAILED' },
    });
  });
});
