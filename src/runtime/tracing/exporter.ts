import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Logger } from '../../observability/logger.js';
import type { TracingSettings } from './settings.js';

export type ExportOutcome = 'sent' | 'failed';

/**
 * The OTLP/HTTP exporter (protobuf or JSON), told where to send by salve's settings; it reads the rest of its
 * standard variables itself (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE, ...), and
 * retries 429 and 5xx answers with backoff before an export counts as failed.
 */
function otlpExporter(settings: TracingSettings): SpanExporter {
  const options = { url: settings.endpoint };
  return settings.protocol === 'http/json' ? new JsonExporter(options) : new ProtobufExporter(options);
}

/**
 * Tells salve's log and metrics what became of each export. A collector that is down is said once, at warn,
 * and again when exports go through; the batches lost meanwhile are counted, never retried forever: a trace
 * backend's outage must cost salve nothing but the spans.
 */
export function reportingExporter(
  settings: TracingSettings,
  log: Logger,
  onExport: (outcome: ExportOutcome, spans: number) => void = () => {},
): SpanExporter {
  const inner = otlpExporter(settings);
  let failing = false;
  const report = (spans: number, result: ExportResult) => {
    if (result.code === ExportResultCode.SUCCESS) {
      onExport('sent', spans);
      if (failing) log.info({ endpoint: settings.endpoint }, 'traces are exported again');
      failing = false;
      return;
    }
    onExport('failed', spans);
    const fields = { endpoint: settings.endpoint, spans, err: result.error };
    if (failing) log.debug(fields, 'trace export failed; spans dropped');
    else log.warn(fields, 'trace export failed; spans dropped until the collector answers');
    failing = true;
  };
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      inner.export(spans, (result) => {
        report(spans.length, result);
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
