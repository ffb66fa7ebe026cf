import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span as SdkSpanApi,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Logger } from '../../observability/logger.js';
import {
  type Attributes,
  formatTraceparent,
  noopSpan,
  parseTraceparent,
  type Span,
  type SpanOptions,
  type Tracer,
} from '../../observability/tracing.js';
import { type ExportOutcome, reportingExporter } from './exporter.js';
import type { SamplerName, TracingSettings } from './settings.js';

export type OtelTracerOptions = {
  settings: TracingSettings;
  /** This process's name (service.instance.id): which replica did what. */
  instanceId: string;
  version: string;
  log: Logger;
  /** Told of every export, for the metrics. */
  onExport?: (outcome: ExportOutcome, spans: number) => void;
};

const kinds = { internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT } as const;

/** Cuts a string to `max` UTF-16 units without leaving half of a surrogate pair. */
export function cut(value: string, max: number): string {
  if (value.length <= max) return value;
  const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
  return value.slice(0, end);
}

function bounded(attributes: Attributes | undefined, max: number): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (!attributes) return out;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? cut(value, max) : value;
  }
  return out;
}

function sampler(s: TracingSettings['sampler']): Sampler {
  const roots: Record<SamplerName, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(s.ratio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.ratio) }),
  };
  return roots[s.name]();
}

/** A parent or a link read from a stored or received `traceparent`; null when it does not parse. */
function remoteContext(traceparent: string): Context | null {
  const p = parseTraceparent(traceparent);
  if (!p) return null;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: p.traceId,
    spanId: p.spanId,
    traceFlags: p.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });
}

function linkOf(
  traceparent: string,
  attributes: Record<string, string | number | boolean> = {},
): Link | null {
  const ctx = remoteContext(traceparent);
  const spanContext = ctx && trace.getSpanContext(ctx);
  return spanContext ? { context: spanContext, attributes } : null;
}

class SdkSpan implements Span {
  constructor(
    readonly inner: SdkSpanApi,
    private readonly max: number,
  ) {}

  get traceparent(): string {
    const c = this.inner.spanContext();
    return formatTraceparent({
      traceId: c.traceId,
      spanId: c.spanId,
      sampled: (c.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
    });
  }

  setAttributes(attributes: Attributes): void {
    this.inner.setAttributes(bounded(attributes, this.max));
  }

  addEvent(name: string, attributes?: Attributes): void {
    this.inner.addEvent(name, bounded(attributes, this.max));
  }

  addLink(traceparent: string, attributes?: Attributes): void {
    const link = linkOf(traceparent, bounded(attributes, this.max));
    if (link) this.inner.addLink(link);
  }

  fail(message: string): void {
    this.inner.setStatus({ code: SpanStatusCode.ERROR, message: cut(message, this.max) });
  }

  end(endTime?: number): void {
    this.inner.end(endTime);
  }

  discard(): void {
    // Never ended, so never handed to the processor: the object is simply dropped.
  }
}

/**
 * The Tracer port over the OpenTelemetry SDK, built for one salve: its own provider, processor and exporter,
 * and its own active-span storage. Nothing is registered globally, so several salves in one process (tests)
 * trace apart, and no library's instrumentation adds spans behind salve's back.
 */
export function createOtelTracer(options: OtelTracerOptions): Tracer {
  const { settings, log } = options;
  const max = settings.attributeValueLengthLimit;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      'service.version': options.version,
      'service.instance.id': options.instanceId,
    }),
    sampler: sampler(settings.sampler),
    spanLimits: { attributeValueLengthLimit: max },
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: reportingExporter(settings, log, options.onExport),
        scheduledDelayMillis: settings.batch.scheduleDelayMs,
        exportTimeoutMillis: settings.batch.exportTimeoutMs,
        maxQueueSize: settings.batch.maxQueueSize,
        maxExportBatchSize: settings.batch.maxExportBatchSize,
      }),
    ],
  });
  const tracer = provider.getTracer('salve', options.version);
  const active = new AsyncLocalStorage<Context>();

  function parentContext(parent: SpanOptions['parent']): Context {
    if (parent === undefined) return active.getStore() ?? ROOT_CONTEXT;
    if (parent === null) return ROOT_CONTEXT;
    if (parent instanceof SdkSpan) return trace.setSpan(ROOT_CONTEXT, parent.inner);
    if (typeof parent === 'string') return remoteContext(parent) ?? ROOT_CONTEXT;
    return ROOT_CONTEXT;
  }

  return {
    enabled: true,
    startSpan(name, opts = {}) {
      const links = (opts.links ?? []).map((l) => linkOf(l)).filter((l): l is Link => l !== null);
      const inner = tracer.startSpan(
        name,
        {
          kind: kinds[opts.kind ?? 'internal'],
          attributes: bounded(opts.attributes, max),
          links,
          ...(opts.startTime === undefined ? {} : { startTime: opts.startTime }),
          ...(opts.parent === null ? { root: true } : {}),
        },
        parentContext(opts.parent),
      );
      return new SdkSpan(inner, max);
    },
    withSpan(span, fn) {
      if (!(span instanceof SdkSpan)) return fn();
      return active.run(trace.setSpan(active.getStore() ?? ROOT_CONTEXT, span.inner), fn);
    },
    activeSpan() {
      const store = active.getStore();
      const span = store && trace.getSpan(store);
      return span ? new SdkSpan(span, max) : noopSpan;
    },
    // A failed export is already told (reportingExporter); waiting for spans must not fail salve's work.
    flush: () => provider.forceFlush().catch(() => {}),
    shutdown: () => provider.shutdown().catch(() => {}),
  };
}
