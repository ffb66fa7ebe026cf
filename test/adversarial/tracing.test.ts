import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import type { DecodedSpan } from '../support/otlp-decode.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';
import { alertmanagerHeaders } from '../support/requests.js';

// What reaches a trace from outside: alert labels (hostile), the traceparent of a request (trusted only
// from an authenticated caller, and only as the parent of that request's own span), and what is stored.

let receiver: OtlpReceiver;
let app: TestApp | undefined;
let h: EngineHarness | undefined;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await app?.close();
  await h?.close();
  await receiver.close();
  app = h = undefined;
});

const env = (extra: Record<string, string> = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_BSP_SCHEDULE_DELAY: '60000',
  SALVE_TRACE_URL: 'https://tempo.example/trace/{traceId}?from=salve',
  ...extra,
});

const anyPolicy = `apiVersion: salve/v1
policies:
  - name: any-model
    match: ['alertname=~"Model.*"']
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    allow: { namespaces: [ml-prod] }
    steps:
      - action: k8s.restart
`;

const callerTrace = '0af7651916cd43dd8448eb211c80319c';
const callerSpan = 'b7ad6b7169203331';

async function exported(
  t: { deps: { tracer: { flush(): Promise<void> } } },
  ok: (s: DecodedSpan[]) => boolean,
) {
  await t.deps.tracer.flush();
  return receiver.waitForSpans('the spans', ok);
}

describe('hostile alert labels in spans', () => {
  it('are cut to the attribute limit, never in a span name, and never reach the trace link', async () => {
    const hostile = `Model${'x'.repeat(5000)}😀\u202e{traceId}"><script>alert(1)</script>`;
    h = await startEngineHarness({ env: env(), policies: { 'any.yaml': anyPolicy } });
    const { opened } = await h.fire('fraud-scorer', { alertname: hostile, labels: { note: '{traceId}' } });
    await h.run();
    const spans = await exported(h, (s) => s.some((x) => x.name === 'heal action'));
    const root = spans.find((s) => s.name === 'heal')!;
    const alertname = String(root.attributes['salve.alert.name']);
    expect(alertname.length).toBe(1024);
    expect(hostile.startsWith(alertname)).toBe(true);
    for (const span of spans) {
      expect(span.name).not.toMatch(/xxx|traceId|script/);
      for (const value of Object.values(span.attributes)) {
        if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(1024);
      }
    }
    const shown = (await h.app.inject({ url: `/v1/heals/${opened[0]}`, headers: h.auth('viewer') })).json()
      .heal;
    expect(shown.traceUrl).toMatch(/^https:\/\/tempo\.example\/trace\/[0-9a-f]{32}\?from=salve$/);
    expect(shown.traceUrl).toBe(`https://tempo.example/trace/${root.traceId}?from=salve`);
  });

  it('a peer’s long error body is cut in the failed span’s status message', async () => {
    const { startFakeHttp } = await import('../support/fake-webhook.js');
    const hook = await startFakeHttp(() => ({ status: 500, body: { message: 'e'.repeat(20_000) } }));
    try {
      h = await startEngineHarness({
        env: env({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '200' }),
        policies: {
          'hook.yaml': `apiVersion: salve/v1
policies:
  - name: hook
    match: ['alertname="ModelPredictionDrift"']
    target: { kind: Model, namespace: ml-prod, name: "{{ labels.model }}" }
    steps:
      - action: webhook
        with: { url: "${hook.url}/x" }
`,
        },
      });
      await h.fire('fraud-scorer', { alertname: 'ModelPredictionDrift' });
      await h.run();
      const spans = await exported(h, (s) => s.some((x) => x.name === 'POST'));
      for (const span of spans) {
        expect(span.status.message.length).toBeLessThanOrEqual(200);
        for (const e of span.events) {
          for (const v of Object.values(e.attributes))
            if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(200);
        }
      }
      expect(spans.find((s) => s.name === 'POST')!.status.code).toBe('error');
    } finally {
      await hook.close();
    }
  });
});

describe("a request's traceparent", () => {
  const deliver = (headers: Record<string, string>) =>
    app!.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...alertmanagerHeaders(), ...headers },
      payload: payload([
        {
          labels: {
            alertname: 'ModelServingErrorRate',
            severity: 'critical',
            namespace: 'ml-prod',
            deployment: 'fraud-scorer',
          },
        },
      ]),
    });

  it('from an authenticated caller is the parent of its delivery span, never of the heal it opens', async () => {
    app = await buildTestApp({ env: env() });
    const res = await deliver({ traceparent: `00-${callerTrace}-${callerSpan}-01`, tracestate: 'evil=1' });
    expect(res.statusCode).toBe(202);
    const spans = await exported(app, (s) => s.length >= 2);
    const delivery = spans.find((s) => s.name === 'POST /v1/alertmanager')!;
    expect(delivery).toMatchObject({ traceId: callerTrace, parentSpanId: callerSpan });
    expect(delivery.attributes).not.toHaveProperty('salve.traceparent.ignored');
    const root = spans.find((s) => s.name === 'heal')!;
    expect(root.traceId).not.toBe(callerTrace);
    expect(root.parentSpanId).toBe('');
    const heal = await app.deps.store.getHeal(res.json().heals.opened[0].id);
    expect(heal!.traceContext).not.toContain(callerTrace);
  });

  it('an unsampled caller does not unsample the heal: its sampling is salve’s own', async () => {
    app = await buildTestApp({ env: env() });
    await deliver({ traceparent: `00-${callerTrace}-${callerSpan}-00` });
    const spans = await exported(app, (s) => s.some((x) => x.name === 'heal'));
    expect(spans.map((s) => s.name)).toEqual(['heal']);
  });

  it('that does not parse strictly is ignored, and the delivery span says so', async () => {
    app = await buildTestApp({ env: env() });
    const bad = [
      `00-${callerTrace.toUpperCase()}-${callerSpan}-01`,
      `00-${'0'.repeat(32)}-${callerSpan}-01`,
      `01-${callerTrace}-${callerSpan}-01-extra`,
      `00-${callerTrace}-${callerSpan}-01,00-${callerTrace}-${callerSpan}-01`,
      'x'.repeat(4000),
    ];
    for (const traceparent of bad) expect((await deliver({ traceparent })).statusCode).toBe(202);
    const spans = await exported(
      app,
      (s) => s.filter((x) => x.name === 'POST /v1/alertmanager').length === bad.length,
    );
    for (const delivery of spans.filter((s) => s.name === 'POST /v1/alertmanager')) {
      expect(delivery.traceId).not.toBe(callerTrace);
      expect(delivery.parentSpanId).toBe('');
      expect(delivery.attributes['salve.traceparent.ignored']).toBe('malformed');
    }
  });

  it('from a caller salve cannot attribute (--insecure-no-auth) is neither followed nor linked', async () => {
    app = await buildTestApp({ env: env({ SALVE_INSECURE_NO_AUTH: 'true' }) });
    expect((await deliver({ traceparent: `00-${callerTrace}-${callerSpan}-01` })).statusCode).toBe(202);
    const spans = await exported(app, (s) => s.some((x) => x.name === 'POST /v1/alertmanager'));
    const delivery = spans.find((s) => s.name === 'POST /v1/alertmanager')!;
    expect(delivery.traceId).not.toBe(callerTrace);
    expect(delivery.attributes['salve.traceparent.ignored']).toBe('unauthenticated');
    expect(spans.flatMap((s) => s.links).map((l) => l.traceId)).not.toContain(callerTrace);
  });

  it('from a request that fails authentication makes no span at all', async () => {
    app = await buildTestApp({ env: env() });
    const res = await deliver({
      authorization: 'Bearer wrong',
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
    });
    expect(res.statusCode).toBe(401);
    await app.deps.tracer.flush();
    expect(receiver.spans).toEqual([]);
  });
});

describe('a stored trace context that was tampered with', () => {
  it('shows no trace and is replaced by a root of salve’s own when the heal moves on', async () => {
    h = await startEngineHarness({ env: env() });
    const { opened } = await h.fire('fraud-scorer');
    const db = new Database(path.join(h.dir, 'salve.db'));
    db.prepare('UPDATE heals SET trace_context = ? WHERE id = ?').run('javascript:alert(1)//-00', opened[0]);
    db.close();
    const shown = (await h.app.inject({ url: `/v1/heals/${opened[0]}`, headers: h.auth('viewer') })).json()
      .heal;
    expect(shown).toMatchObject({ traceId: null, traceUrl: null });
    await h.run();
    const heal = await h.heal(opened[0]!);
    expect(heal.traceContext).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(
      h.sim.requests
        .filter((r) => r.traceparent !== undefined)
        .every((r) => !r.traceparent!.includes('javascript')),
    ).toBe(true);
  });
});
