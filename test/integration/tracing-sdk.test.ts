import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noopTracer, parseTraceparent, type Tracer } from '../../src/observability/tracing.js';
import { createOtelTracer } from '../../src/runtime/tracing/otel.js';
import {
  defaultAttributeValueLengthLimit,
  type TracingSettings,
} from '../../src/runtime/tracing/settings.js';
import { captureLogs } from '../support/log-capture.js';
import { type OtlpReceiver, startOtlpReceiver, traceOf } from '../support/otlp-receiver.js';

let receiver: OtlpReceiver;
const tracers: Tracer[] = [];

beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await Promise.all(tracers.splice(0).map((t) => t.shutdown()));
  await receiver.close();
});

function settings(over: Partial<TracingSettings> = {}): TracingSettings {
  return {
    endpoint: receiver.tracesUrl,
    protocol: 'http/protobuf',
    serviceName: 'salve',
    resourceAttributes: { 'deployment.environment.name': 'test' },
    sampler: { name: 'parentbased_always_on', ratio: 1 },
    // Exports only when flushed: the tests decide when spans leave.
    batch: { scheduleDelayMs: 60_000, exportTimeoutMs: 10_000, maxQueueSize: 2048, maxExportBatchSize: 512 },
    attributeValueLengthLimit: defaultAttributeValueLengthLimit,
    ...over,
  };
}

function tracer(over: Partial<TracingSettings> = {}, instanceId = 'replica-a') {
  const logs = captureLogs();
  const t = createOtelTracer({ settings: settings(over), instanceId, version: '0.1.0', log: logs.log });
  tracers.push(t);
  return { tracer: t, logs };
}

describe.each(['http/protobuf', 'http/json'] as const)('the OTLP/HTTP exporter (%s)', (protocol) => {
  it('sends the span tree with kinds, attributes, events, links, status and the resource', async () => {
    const { tracer: t } = tracer({ protocol });
    const other = t.startSpan('delivery', { kind: 'server', parent: null });
    other.end();
    const root = t.startSpan('heal', {
      parent: null,
      links: [other.traceparent!],
      attributes: { a: 'x', n: 3 },
    });
    await t.withSpan(root, async () => {
      await new Promise((r) => setImmediate(r));
      const child = t.startSpan('POST', { kind: 'client', attributes: { 'http.request.method': 'POST' } });
      // A request made under the child carries the child's context.
      expect(t.withSpan(child, () => t.activeSpan().traceparent)).toBe(child.traceparent);
      child.addEvent('retry', { attempt: 2, ok: false });
      child.fail('503 from the peer');
      child.end();
    });
    root.end();
    await t.flush();

    const spans = await receiver.waitForSpans('three spans', (s) => s.length === 3);
    const heal = spans.find((s) => s.name === 'heal')!;
    const tree = traceOf(spans, heal.traceId);
    expect(tree.roots.map((s) => s.name)).toEqual(['heal']);
    const [post] = tree.children(heal);
    expect(post).toMatchObject({
      name: 'POST',
      kind: 'client',
      attributes: { 'http.request.method': 'POST' },
      status: { code: 'error', message: '503 from the peer' },
    });
    expect(post!.events).toEqual([
      expect.objectContaining({ name: 'retry', attributes: { attempt: 2, ok: false } }),
    ]);
    expect(heal).toMatchObject({ kind: 'internal', attributes: { a: 'x', n: 3 }, parentSpanId: '' });
    const delivery = spans.find((s) => s.name === 'delivery')!;
    expect(delivery.traceId).not.toBe(heal.traceId);
    expect(heal.links).toEqual([
      expect.objectContaining({ traceId: delivery.traceId, spanId: delivery.spanId }),
    ]);
    expect(heal.resource).toMatchObject({
      'service.name': 'salve',
      'service.version': '0.1.0',
      'service.instance.id': 'replica-a',
      'deployment.environment.name': 'test',
    });
    expect(heal.scope.name).toBe('salve');
    expect(receiver.exports[0]!.contentType).toBe(
      protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    );
  });
});

describe('a trace continued from a stored traceparent', () => {
  it('joins the same trace under the stored span, from another tracer (another replica)', async () => {
    const a = tracer({}, 'replica-a').tracer;
    const root = a.startSpan('heal', { parent: null });
    root.end();
    const stored = root.traceparent!;
    await a.flush();

    const b = tracer({}, 'replica-b').tracer;
    const step = b.startSpan('heal action', { parent: stored });
    step.end();
    await b.flush();

    const spans = await receiver.waitForSpans('both spans', (s) => s.length === 2);
    const [first, second] = [
      spans.find((s) => s.name === 'heal')!,
      spans.find((s) => s.name === 'heal action')!,
    ];
    expect(second.traceId).toBe(first.traceId);
    expect(second.parentSpanId).toBe(first.spanId);
    expect(second.resource['service.instance.id']).toBe('replica-b');
    // The parent came from outside this process: flagged remote, as OTLP lets a backend show.
    expect(second.flags & 0x300).toBe(0x300);
  });

  it('keeps the sampling decision stored with it: an unsampled heal stays unsampled', async () => {
    const { tracer: t } = tracer();
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const span = t.startSpan('heal guards', { parent: unsampled });
    expect(parseTraceparent(span.traceparent)!.sampled).toBe(false);
    span.end();
    const kept = t.startSpan('kept', { parent: null });
    kept.end();
    await t.flush();
    await receiver.waitForSpans('the sampled span', (s) => s.length === 1);
    expect(receiver.spans.map((s) => s.name)).toEqual(['kept']);
  });

  it('starts a new trace from a stored value that does not parse, never a half-read one', async () => {
    const { tracer: t } = tracer();
    for (const bad of ['00-zz', '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '']) {
      const span = t.startSpan('heal guards', { parent: bad });
      expect(span.traceparent).not.toContain('0af7651916cd43dd8448eb211c80319c');
      span.end();
    }
    await t.flush();
    const spans = await receiver.waitForSpans('three roots', (s) => s.length === 3);
    expect(spans.every((s) => s.parentSpanId === '')).toBe(true);
  });
});

describe('bounds', () => {
  it('cuts every string attribute, event attribute and status message, never inside a surrogate pair', async () => {
    const { tracer: t } = tracer({ attributeValueLengthLimit: 64 });
    const long = `${'a'.repeat(63)}😀${'b'.repeat(5000)}`;
    const span = t.startSpan('heal', { parent: null, attributes: { 'salve.alert.name': long } });
    span.setAttributes({ later: long });
    span.addEvent('guard', { detail: long });
    span.fail(long);
    span.end();
    await t.flush();
    const [got] = await receiver.waitForSpans('the span', (s) => s.length === 1);
    expect(got!.attributes['salve.alert.name']).toBe('a'.repeat(63));
    expect(got!.attributes.later).toBe('a'.repeat(63));
    expect(got!.events[0]!.attributes.detail).toBe('a'.repeat(63));
    expect(got!.status.message).toBe('a'.repeat(63));
  });
});

describe('sampler', () => {
  it('always_off exports nothing, yet propagates a valid unsampled context', async () => {
    const { tracer: t } = tracer({ sampler: { name: 'always_off', ratio: 1 } });
    const span = t.startSpan('heal', { parent: null });
    expect(parseTraceparent(span.traceparent)).toMatchObject({ sampled: false });
    span.end();
    await t.flush();
    expect(receiver.exports).toEqual([]);
  });
});

describe('a collector that fails', () => {
  it('drops the batch, says so once at warn, counts it, and says when exports go through again', async () => {
    const logs = captureLogs();
    const outcomes: Array<[string, number]> = [];
    const t = createOtelTracer({
      settings: settings(),
      instanceId: 'a',
      version: '0.1.0',
      log: logs.log,
      onExport: (outcome, n) => outcomes.push([outcome, n]),
    });
    tracers.push(t);
    // 400 is not retried by the exporter: the batch fails at once.
    receiver.failNext(400, 2);
    for (let i = 0; i < 2; i++) {
      t.startSpan(`lost ${i}`, { parent: null }).end();
      await t.flush();
    }
    t.startSpan('sent', { parent: null }).end();
    await t.flush();
    await receiver.waitForSpans('the span after the outage', (s) => s.some((x) => x.name === 'sent'));
    expect(outcomes).toEqual([
      ['failed', 1],
      ['failed', 1],
      ['sent', 1],
    ]);
    expect(
      logs
        .lines()
        .filter((e) => e.level === 40)
        .map((e) => e.msg),
    ).toEqual(['trace export failed; spans dropped until the collector answers']);
    expect(logs.lines().some((e) => e.msg === 'traces are exported again')).toBe(true);
  });
});

describe('tracing off', () => {
  it('is the no-op tracer: no context, no header, the function runs as it is', async () => {
    const span = noopTracer.startSpan('heal', { parent: null });
    expect(span.traceparent).toBeNull();
    expect(noopTracer.withSpan(span, () => noopTracer.activeSpan().traceparent)).toBeNull();
    expect(await noopTracer.withSpan(span, async () => 42)).toBe(42);
  });
});

describe('a discarded span', () => {
  it('is never exported', async () => {
    const { tracer: t } = tracer();
    t.startSpan('held again', { parent: null }).discard();
    t.startSpan('kept', { parent: null }).end();
    await t.flush();
    await receiver.waitForSpans('one span', (s) => s.length === 1);
    expect(receiver.spans.map((s) => s.name)).toEqual(['kept']);
  });
});
