// Traces: the narrow port salve's code writes spans through. The OpenTelemetry SDK sits behind it
// (src/runtime/tracing/), built only when an OTLP endpoint is set; otherwise `noopTracer` does nothing at all.

export type AttributeValue = string | number | boolean;
/** Undefined values are left out, so callers can spread optional facts. */
export type Attributes = Readonly<Record<string, AttributeValue | undefined>>;

export type SpanKind = 'internal' | 'server' | 'client';

export interface Span {
  /**
   * This span's W3C `traceparent` (`00-<trace id>-<span id>-<flags>`): what a request made under it carries,
   * and what a heal stores so that its later spans, on any replica, join its trace. Null when tracing is off.
   */
  readonly traceparent: string | null;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  /** A link to a span of another trace (the delivery that opened a heal, and the heal from the delivery). */
  addLink(traceparent: string, attributes?: Attributes): void;
  /** Marks the span failed (status ERROR) with a short message. */
  fail(message: string): void;
  /** Ends the span (now, or at `endTime`, epoch milliseconds); it is exported. */
  end(endTime?: number): void;
  /**
   * Drops the span unexported: it recorded nothing worth keeping (a held heal looking again, a delivery whose
   * commit failed). Spans started under it must not have ended.
   */
  discard(): void;
}

export type SpanOptions = {
  kind?: SpanKind;
  /**
   * Where the span sits. Omitted: under the active span (see `withSpan`), or a new trace when none is active.
   * A Span: under it. A string: under that stored `traceparent` (a heal's). Null: the root of a new trace.
   */
  parent?: Span | string | null;
  attributes?: Attributes;
  /** `traceparent`s of spans in other traces this one follows from. */
  links?: readonly string[];
  /** Epoch milliseconds (fractions allowed), for a span recorded after the fact; default now. */
  startTime?: number;
};

export interface Tracer {
  /** False: every call is a no-op, and callers may skip work that only feeds spans. */
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): Span;
  /** Runs `fn` with `span` active: spans started and requests made inside it, however deep, are its children. */
  withSpan<T>(span: Span, fn: () => T): T;
  /**
   * The active span (see `withSpan`): a request made now carries its `traceparent`, a move of the heal is told
   * on it. The no-op span when none is active.
   */
  activeSpan(): Span;
  /** Sends what has ended and is still buffered. */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

/** The span of tracing off: it records nothing and carries no context. */
export const noopSpan: Span = {
  traceparent: null,
  setAttributes() {},
  addEvent() {},
  addLink() {},
  fail() {},
  end() {},
  discard() {},
};

/** Tracing off: no SDK is loaded, no span object is made, no header is added. */
export const noopTracer: Tracer = {
  enabled: false,
  startSpan: () => noopSpan,
  withSpan: (_span, fn) => fn(),
  activeSpan: () => noopSpan,
  flush: async () => {},
  shutdown: async () => {},
};

export type TraceParent = { traceId: string; spanId: string; sampled: boolean };

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * A W3C `traceparent` of version 00, read strictly: lower-case hex of the exact lengths, neither id all zeros,
 * nothing before or after. Anything else is null: a header that is not exactly that is not trusted in part.
 */
export function parseTraceparent(value: string | null | undefined): TraceParent | null {
  if (typeof value !== 'string' || value.length !== 55) return null;
  const m = traceparentPattern.exec(value);
  if (!m) return null;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** The id of the trace a stored context belongs to, when that trace is recorded (sampled); else null. */
export function sampledTraceId(traceparent: string | null | undefined): string | null {
  const p = parseTraceparent(traceparent);
  return p?.sampled ? p.traceId : null;
}

export const formatTraceparent = (p: TraceParent): string =>
  `00-${p.traceId}-${p.spanId}-${p.sampled ? '01' : '00'}`;

/** The placeholder `SALVE_TRACE_URL` must hold. */
export const traceIdPlaceholder = '{traceId}';

/**
 * The link to a trace: the template with every `{traceId}` replaced by the id. Only a trace id read by
 * parseTraceparent (32 hex digits) is ever put in, so no stored or alert text can reach the URL.
 */
export function traceLink(template: string | null, traceId: string | null): string | null {
  if (template === null || traceId === null || !/^[0-9a-f]{32}$/.test(traceId)) return null;
  return template.split(traceIdPlaceholder).join(traceId);
}
