import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type DecodedSpan, decodeJsonTraces, decodeProtobufTraces } from './otlp-decode.js';
import { waitFor } from './wait.js';

// An OTLP/HTTP trace receiver on 127.0.0.1:0, as a collector, Jaeger or Tempo serves it: POST /v1/traces with
// a protobuf or JSON ExportTraceServiceRequest (gzip or not), answered 200 with an empty
// ExportTraceServiceResponse in the request's encoding. Every span it decodes is kept for the test to read.

export type OtlpReceiver = {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter appends /v1/traces). */
  url: string;
  /** The full traces URL, as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT takes it. */
  tracesUrl: string;
  spans: DecodedSpan[];
  /** Each export request: its content type and how many spans it held. */
  exports: Array<{ contentType: string; spans: number; status: number }>;
  /** The next `times` exports are answered `status` (and their spans not kept). */
  failNext(status: number, times?: number): void;
  /** Waits until the spans received satisfy `ok`; returns them. */
  waitForSpans(
    what: string,
    ok: (spans: DecodedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<DecodedSpan[]>;
  close(): Promise<void>;
};

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: DecodedSpan[] = [];
  const exports: OtlpReceiver['exports'] = [];
  let failures: { status: number; times: number } | null = null;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      const json = contentType.startsWith('application/json');
      const answer = (status: number, body: string | Buffer = json ? '{}' : Buffer.alloc(0)) => {
        res.writeHead(status, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
        res.end(body);
      };
      if (req.method !== 'POST' || req.url !== '/v1/traces') return answer(404);
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      if (failures && failures.times > 0) {
        failures.times -= 1;
        exports.push({ contentType, spans: 0, status: failures.status });
        return answer(failures.status);
      }
      let decoded: DecodedSpan[];
      try {
        decoded = json ? decodeJsonTraces(raw) : decodeProtobufTraces(raw);
      } catch (err) {
        exports.push({ contentType, spans: 0, status: 400 });
        return answer(400, JSON.stringify({ message: String(err) }));
      }
      spans.push(...decoded);
      exports.push({ contentType, spans: decoded.length, status: 200 });
      answer(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    spans,
    exports,
    failNext(status, times = 1) {
      failures = { status, times };
    },
    waitForSpans: (what, ok, timeoutMs) =>
      waitFor(what, () => spans, ok, timeoutMs === undefined ? {} : { timeoutMs }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The spans of one trace, and helpers to walk its tree. */
export function traceOf(spans: DecodedSpan[], traceId: string) {
  const mine = spans.filter((s) => s.traceId === traceId);
  const byId = new Map(mine.map((s) => [s.spanId, s]));
  return {
    spans: mine,
    roots: mine.filter((s) => s.parentSpanId === '' || !byId.has(s.parentSpanId)),
    children: (span: DecodedSpan) => mine.filter((s) => s.parentSpanId === span.spanId),
    named: (name: string) => mine.filter((s) => s.name === name),
    parentOf: (span: DecodedSpan) => byId.get(span.parentSpanId),
  };
}
