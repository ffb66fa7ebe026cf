import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';
import type { DecodedSpan } from '../support/otlp-decode.js';
import { type OtlpReceiver, startOtlpReceiver, traceOf } from '../support/otlp-receiver.js';
import { alertmanagerHeaders } from '../support/requests.js';

const MIN = 60_000;

let receiver: OtlpReceiver;
let h: EngineHarness;

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await h?.close();
  await receiver.close();
});

/** salve with its traces sent to the receiver (the standard variables), flushed by the tests. */
function tracingEnv(extra: Record<string, string> = {}) {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    SALVE_TRACE_URL: 'https://tempo.example/trace/{traceId}',
    ...extra,
  };
}

async function spansOf(traceId: string, ok: (spans: DecodedSpan[]) => boolean) {
  await h.deps.tracer.flush();
  await receiver.waitForSpans(`the trace ${traceId}`, (all) => ok(all.filter((s) => s.traceId === traceId)));
  return traceOf(receiver.spans, traceId);
}

const names = (spans: DecodedSpan[]) => spans.map((s) => s.name);

describe('the trace of a heal', () => {
  it('runs from the delivery through every guard, step, request and verification, as one trace', async () => {
    h = await startEngineHarness({ env: tracingEnv() });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(2_000); // the rollout is done
    await h.clock.advance(3 * MIN);
    await h.resolve('fraud-scorer');
    await h.run();
    const heal = await h.heal(opened[0]!);
    expect(heal.state).toBe('resolved');

    // The heal's JSON carries its trace, and the link.
    const shown = (await h.app.inject({ url: `/v1/heals/${heal.id}`, headers: h.auth('viewer') })).json()
      .heal;
    expect(shown.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(shown.traceUrl).toBe(`https://tempo.example/trace/${shown.traceId}`);
    expect(shown).not.toHaveProperty('traceContext');

    const trace = await spansOf(shown.traceId, (s) =>
      s.some((x) => x.name === 'heal resolve' && x.attributes['salve.heal.to'] === 'resolved'),
    );
    // One root: the heal, opened by the delivery.
    expect(names(trace.roots)).toEqual(['heal']);
    const root = trace.roots[0]!;
    expect(root.attributes).toMatchObject({
      'salve.heal.id': heal.id,
      'salve.policy': 'scorer-error-rate',
      'k8s.namespace.name': 'ml-prod',
      'k8s.deployment.name': 'fraud-scorer',
      'salve.target': 'Deployment/ml-prod/fraud-scorer',
      'salve.heal.trigger': 'alert',
      'salve.alert.name': 'ModelServingErrorRate',
    });
    expect(root.resource).toMatchObject({ 'service.name': 'salve' });

    // Every stage run is a child of the root, in order.
    const stages = trace.children(root).sort((a, b) => Number(a.startNs - b.startNs));
    expect(names(stages)).toEqual([
      'heal guards',
      'heal action',
      'heal rollout',
      'heal resolve',
      'heal resolve',
    ]);
    for (const s of stages) {
      expect(s.attributes).toMatchObject({
        'salve.heal.id': heal.id,
        'salve.policy': 'scorer-error-rate',
        'salve.heal.step': 1,
      });
    }
    const [guards, action, rollout] = stages as [DecodedSpan, DecodedSpan, DecodedSpan];
    expect(names(trace.children(guards))).toEqual([
      'guard paused',
      'guard allowed',
      'guard cooldown',
      'guard rate_limit',
      'guard approval',
      'guard autonomy',
    ]);
    expect(trace.children(guards).every((g) => g.attributes['salve.guard.verdict'] === 'pass')).toBe(true);
    expect(guards.attributes).toMatchObject({
      'salve.heal.event': 'guards_passed',
      'salve.heal.to': 'action',
    });
    expect(guards.events.map((e) => e.attributes['salve.heal.event'])).toEqual(['guards_passed']);

    // The action's Kubernetes calls are client spans under the step, and the API server saw their context.
    expect(action.attributes).toMatchObject({ 'salve.action': 'k8s.restart', 'salve.heal.to': 'rollout' });
    expect(action.events.map((e) => e.attributes['salve.heal.event'])).toEqual([
      'step_started',
      'step_rolling_out',
    ]);
    const kube = trace.children(action);
    expect(names(kube)).toEqual(expect.arrayContaining(['kube get Deployment', 'kube patch Deployment']));
    for (const call of kube) {
      expect(call).toMatchObject({
        kind: 'client',
        attributes: { 'k8s.namespace.name': 'ml-prod', 'salve.peer.service': 'kubernetes' },
      });
      expect(call.attributes['server.address']).toBe('127.0.0.1');
    }
    const patch = kube.find((s) => s.name === 'kube patch Deployment')!;
    const patched = h.sim.requests.find((r) => r.method === 'PATCH')!;
    expect(patched.traceparent).toBe(`00-${trace.spans[0]!.traceId}-${patch.spanId}-01`);
    // Every request the heal made to the API server carried a context of this trace.
    const traced = h.sim.requests.filter((r) => r.traceparent !== undefined);
    expect(traced.length).toBeGreaterThan(2);
    expect(traced.every((r) => r.traceparent!.includes(shown.traceId))).toBe(true);

    expect(rollout.attributes).toMatchObject({
      'salve.heal.event': 'rollout_done',
      'salve.heal.to': 'resolve',
    });
    expect(names(trace.children(rollout))).toContain('kube get Deployment');
    expect(stages.at(-1)!.attributes).toMatchObject({
      'salve.heal.event': 'alerts_resolved',
      'salve.heal.state': 'resolved',
    });
    expect(trace.spans.every((s) => s.status.code !== 'error')).toBe(true);
  });

  it('links the delivery and the heals it opens both ways, one trace per heal', async () => {
    h = await startEngineHarness({ env: tracingEnv(), deployments: ['fraud-scorer', 'churn-scorer'] });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: alertmanagerHeaders(),
      payload: payload([
        {
          labels: {
            alertname: 'ModelServingErrorRate',
            severity: 'critical',
            namespace: 'ml-prod',
            deployment: 'fraud-scorer',
          },
        },
        {
          labels: {
            alertname: 'ModelServingErrorRate',
            severity: 'critical',
            namespace: 'ml-prod',
            deployment: 'churn-scorer',
          },
        },
      ]),
    });
    expect(res.statusCode).toBe(202);
    const ids = res.json().heals.opened.map((x: { id: string }) => x.id);
    expect(ids).toHaveLength(2);
    const heals = await Promise.all(ids.map((id: string) => h.heal(id)));
    const traceIds = heals.map((x) => x.traceContext!.split('-')[1]);
    expect(new Set(traceIds).size).toBe(2);

    await h.deps.tracer.flush();
    const spans = await receiver.waitForSpans('the delivery and two roots', (s) => s.length >= 3);
    const delivery = spans.find((s) => s.name === 'POST /v1/alertmanager')!;
    expect(delivery).toMatchObject({
      kind: 'server',
      parentSpanId: '',
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/v1/alertmanager',
        'http.response.status_code': 202,
        'salve.actor': 'token:alertmanager',
        'salve.alerts.received': 2,
        'salve.heals.opened': 2,
      },
    });
    expect(traceIds).not.toContain(delivery.traceId);
    expect(delivery.links.map((l) => l.traceId).sort()).toEqual([...traceIds].sort());
    for (const traceId of traceIds) {
      const [root] = spans.filter((s) => s.traceId === traceId && s.name === 'heal');
      expect(root!.links).toEqual([
        expect.objectContaining({ traceId: delivery.traceId, spanId: delivery.spanId }),
      ]);
    }
  });

  it('is continued by a second salve on the same store: its spans join the same trace', async () => {
    h = await startEngineHarness({ env: tracingEnv() });
    const { opened } = await h.fire('fraud-scorer');
    // The first salve opens the heal and stops before the engine runs (a crash, a lease handed over).
    const first = h.deps.tracer;
    const traceContext = (await h.heal(opened[0]!)).traceContext!;
    await first.flush();

    const second = await startEngineHarness({
      env: tracingEnv(),
      dir: h.dir,
      overrides: { kube: h.deps.kube },
    });
    try {
      expect(second.deps.tracer).not.toBe(first);
      await second.run();
      expect((await second.heal(opened[0]!)).state).toBe('verifying');
      const traceId = traceContext.split('-')[1]!;
      await second.deps.tracer.flush();
      const spans = await receiver.waitForSpans('the continued stages', (s) =>
        s.some((x) => x.traceId === traceId && x.name === 'heal action'),
      );
      const trace = traceOf(spans, traceId);
      expect(names(trace.roots)).toEqual(['heal']);
      const root = trace.roots[0]!;
      const continued = trace.children(root);
      expect(names(continued)).toEqual(expect.arrayContaining(['heal guards', 'heal action']));
      // Written by the other replica, into the same trace, under the root the first one stored.
      const instances = new Set(continued.map((s) => s.resource['service.instance.id']));
      expect(instances).not.toContain(root.resource['service.instance.id']);
    } finally {
      await second.close();
    }
  });

  it('a heal opened while tracing was off gets its root when a traced salve continues it', async () => {
    h = await startEngineHarness();
    const { opened } = await h.fire('fraud-scorer');
    expect((await h.heal(opened[0]!)).traceContext).toBeNull();
    const second = await startEngineHarness({
      env: tracingEnv(),
      dir: h.dir,
      overrides: { kube: h.deps.kube },
    });
    try {
      await second.run();
      const heal = await second.heal(opened[0]!);
      expect(heal.traceContext).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const traceId = heal.traceContext!.split('-')[1]!;
      await second.deps.tracer.flush();
      const spans = await receiver.waitForSpans('the late root and the stages', (s) =>
        s.some((x) => x.traceId === traceId && x.name === 'heal action'),
      );
      const trace = traceOf(spans, traceId);
      expect(names(trace.roots)).toEqual(['heal']);
      expect(trace.roots[0]!.events.map((e) => e.name)).toEqual(['trace begun after the heal opened']);
      expect(names(trace.children(trace.roots[0]!))).toEqual(
        expect.arrayContaining(['heal guards', 'heal action']),
      );
    } finally {
      await second.close();
    }
  });
});

describe('a failing step and a paused salve', () => {
  it('marks the stage failed with why, and records a held heal once, not at every poll', async () => {
    h = await startEngineHarness({ env: tracingEnv() });
    const paused = await h.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: h.auth('operator'),
      payload: { reason: 'maintenance' },
    });
    expect(paused.statusCode).toBe(200);
    const { opened } = await h.fire('fraud-scorer');
    for (let i = 0; i < 5; i++) await h.advance(1_000);
    expect((await h.heal(opened[0]!)).reason).toBe('paused');
    await h.app.inject({ method: 'DELETE', url: '/v1/pause', headers: h.auth('operator') });
    h.sim.faults.failNext({ method: 'PATCH' }, 500, 10);
    await h.advance(1_000);
    const heal = await h.heal(opened[0]!);
    const traceId = heal.traceContext!.split('-')[1]!;
    const trace = await spansOf(traceId, (s) => s.some((x) => x.name === 'heal action'));
    const guards = trace.named('heal guards');
    // Held once (audited, told), then the run after the pause lifted: not one span per poll.
    expect(guards.map((g) => g.attributes['salve.heal.event'])).toEqual(['guard_held', 'guards_passed']);
    expect(names(trace.children(guards[0]!))).toEqual(['guard paused']);
    const [action] = trace.named('heal action');
    expect(action!.status.code).toBe('error');
    expect(action!.attributes['salve.heal.event']).toBe('step_retry');
    const patch = trace.children(action!).find((s) => s.name === 'kube patch Deployment')!;
    expect(patch.status.code).toBe('error');
    expect(patch.attributes['error.type']).toMatch(/^SALVE_/);
  });
});

describe('tracing off', () => {
  it('exports nothing, stores no context, and the heal shows no trace', async () => {
    h = await startEngineHarness({ env: { SALVE_TRACE_URL: 'https://tempo.example/trace/{traceId}' } });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    const heal = await h.heal(opened[0]!);
    expect(heal.traceContext).toBeNull();
    const shown = (await h.app.inject({ url: `/v1/heals/${heal.id}`, headers: h.auth('viewer') })).json()
      .heal;
    expect(shown).toMatchObject({ traceId: null, traceUrl: null });
    expect(h.sim.requests.every((r) => r.traceparent === undefined)).toBe(true);
    expect(h.deps.tracer.enabled).toBe(false);
    expect(receiver.exports).toEqual([]);
  });
});
