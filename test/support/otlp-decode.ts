// Decodes OTLP trace exports as a collector would: ExportTraceServiceRequest in protobuf (read here from the
// wire format by the field numbers of opentelemetry-proto's trace.proto and common.proto, independently of
// the exporter's own serializer) or in OTLP/JSON (ids in hex, 64-bit integers as strings).

export type AttributeValue = string | number | boolean | bigint | AttributeValue[] | null;

export type DecodedSpan = {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, AttributeValue> }>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, AttributeValue> }>;
  status: { code: 'unset' | 'ok' | 'error'; message: string };
  /** W3C trace flags in the low byte; bits 8 and 9: whether the parent's remoteness is known, and is remote. */
  flags: number;
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
};

const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const statusCodes = ['unset', 'ok', 'error'] as const;

// --- protobuf wire format -----------------------------------------------------------------------------

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function readVarint(buf: Buffer, at: { pos: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (at.pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[at.pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7n;
    if (shift > 63n) throw new Error('varint too long');
  }
}

function* fields(buf: Buffer): Generator<Field> {
  const at = { pos: 0 };
  while (at.pos < buf.length) {
    const tag = Number(readVarint(buf, at));
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) yield { no, wire, varint: readVarint(buf, at) };
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      if (at.pos + size > buf.length) throw new Error('truncated fixed field');
      yield { no, wire, fixed: buf.subarray(at.pos, at.pos + size) };
      at.pos += size;
    } else if (wire === 2) {
      const len = Number(readVarint(buf, at));
      if (at.pos + len > buf.length) throw new Error('truncated length-delimited field');
      yield { no, wire, bytes: buf.subarray(at.pos, at.pos + len) };
      at.pos += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
}

const text = (f: Field) => f.bytes!.toString('utf8');
const hex = (f: Field) => f.bytes!.toString('hex');

function anyValue(buf: Buffer): AttributeValue {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        return text(f);
      case 2:
        return f.varint !== 0n;
      case 3: {
        const n = BigInt.asIntN(64, f.varint!);
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case 4:
        return f.fixed!.readDoubleLE(0);
      case 5:
        return [...fields(f.bytes!)].filter((v) => v.no === 1).map((v) => anyValue(v.bytes!));
      case 7:
        return hex(f);
    }
  }
  return null;
}

function keyValues(list: Field[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list) {
    let key = '';
    let value: AttributeValue = null;
    for (const f of fields(kv.bytes!)) {
      if (f.no === 1) key = text(f);
      if (f.no === 2) value = anyValue(f.bytes!);
    }
    out[key] = value;
  }
  return out;
}

function protoSpan(buf: Buffer, resource: DecodedSpan['resource'], scope: DecodedSpan['scope']): DecodedSpan {
  const span: DecodedSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 'unspecified',
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 'unset', message: '' },
    flags: 0,
    resource,
    scope,
  };
  const attributes: Field[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) span.traceId = hex(f);
    else if (f.no === 2) span.spanId = hex(f);
    else if (f.no === 4) span.parentSpanId = hex(f);
    else if (f.no === 5) span.name = text(f);
    else if (f.no === 6) span.kind = kinds[Number(f.varint)] ?? 'unspecified';
    else if (f.no === 7) span.startNs = f.fixed!.readBigUInt64LE(0);
    else if (f.no === 8) span.endNs = f.fixed!.readBigUInt64LE(0);
    else if (f.no === 9) attributes.push(f);
    else if (f.no === 11) {
      const event = { name: '', timeNs: 0n, attributes: {} as Record<string, AttributeValue> };
      const attrs: Field[] = [];
      for (const e of fields(f.bytes!)) {
        if (e.no === 1) event.timeNs = e.fixed!.readBigUInt64LE(0);
        if (e.no === 2) event.name = text(e);
        if (e.no === 3) attrs.push(e);
      }
      event.attributes = keyValues(attrs);
      span.events.push(event);
    } else if (f.no === 13) {
      const link = { traceId: '', spanId: '', attributes: {} as Record<string, AttributeValue> };
      const attrs: Field[] = [];
      for (const l of fields(f.bytes!)) {
        if (l.no === 1) link.traceId = hex(l);
        if (l.no === 2) link.spanId = hex(l);
        if (l.no === 4) attrs.push(l);
      }
      link.attributes = keyValues(attrs);
      span.links.push(link);
    } else if (f.no === 15) {
      for (const s of fields(f.bytes!)) {
        if (s.no === 2) span.status.message = text(s);
        if (s.no === 3) span.status.code = statusCodes[Number(s.varint)] ?? 'unset';
      }
    } else if (f.no === 16) span.flags = f.fixed!.readUInt32LE(0);
  }
  span.attributes = keyValues(attributes);
  return span;
}

/** ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; } */
export function decodeProtobufTraces(body: Buffer): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  for (const rs of fields(body)) {
    if (rs.no !== 1) continue;
    let resource: DecodedSpan['resource'] = {};
    const scopeSpans: Buffer[] = [];
    for (const f of fields(rs.bytes!)) {
      if (f.no === 1) resource = keyValues([...fields(f.bytes!)].filter((a) => a.no === 1));
      if (f.no === 2) scopeSpans.push(f.bytes!);
    }
    for (const ss of scopeSpans) {
      const scope = { name: '', version: '' };
      const raw: Buffer[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1) {
          for (const s of fields(f.bytes!)) {
            if (s.no === 1) scope.name = text(s);
            if (s.no === 2) scope.version = text(s);
          }
        }
        if (f.no === 2) raw.push(f.bytes!);
      }
      for (const s of raw) spans.push(protoSpan(s, resource, scope));
    }
  }
  return spans;
}

// --- OTLP/JSON ------------------------------------------------------------------------------------------

type JsonAny = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAny[] };
  bytesValue?: string;
};
type JsonKv = { key: string; value?: JsonAny };

function jsonValue(v: JsonAny | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(jsonValue);
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue, 'base64').toString('hex');
  return null;
}

const jsonAttributes = (list: JsonKv[] | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));

type JsonSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: JsonKv[];
  events?: Array<{ name: string; timeUnixNano: string | number; attributes?: JsonKv[] }>;
  links?: Array<{ traceId: string; spanId: string; attributes?: JsonKv[] }>;
  status?: { code?: number; message?: string };
  flags?: number;
};

type JsonRequest = {
  resourceSpans?: Array<{
    resource?: { attributes?: JsonKv[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: JsonSpan[] }>;
  }>;
};

export function decodeJsonTraces(body: Buffer): DecodedSpan[] {
  const request = JSON.parse(body.toString('utf8')) as JsonRequest;
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const resource = jsonAttributes(rs.resource?.attributes);
    return (rs.scopeSpans ?? []).flatMap((ss) => {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      return (ss.spans ?? []).map(
        (s): DecodedSpan => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: kinds[s.kind ?? 0] ?? 'unspecified',
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          attributes: jsonAttributes(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name,
            timeNs: BigInt(e.timeUnixNano),
            attributes: jsonAttributes(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            attributes: jsonAttributes(l.attributes),
          })),
          status: { code: statusCodes[s.status?.code ?? 0] ?? 'unset', message: s.status?.message ?? '' },
          flags: s.flags ?? 0,
          resource,
          scope,
        }),
      );
    });
  });
}
