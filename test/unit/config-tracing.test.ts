import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { loadTracingSettings } from '../../src/config/tracing.js';

describe('tracing settings from the standard OTEL_* variables', () => {
  it('are off without an endpoint, and with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(loadTracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeNull();
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadTracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(loadTracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    // The spec's empty value is unset.
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeNull();
  });

  it('append /v1/traces to the general endpoint and take the traces endpoint as it is', () => {
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })?.endpoint).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/otlp/' })?.endpoint).toBe(
      'https://otlp.example/otlp/v1/traces',
    );
    expect(
      loadTracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom/path',
      })?.endpoint,
    ).toBe('http://tempo:4318/custom/path');
  });

  it('default to protobuf, every span sampled, salve as the service, bounded attributes', () => {
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      endpoint: 'http://c:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'salve',
      resourceAttributes: {},
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      batch: { scheduleDelayMs: 5000, exportTimeoutMs: 30000, maxQueueSize: 2048, maxExportBatchSize: 512 },
      attributeValueLengthLimit: 1024,
    });
  });

  it('read the service, resource attributes, sampler, batching, protocol and limits', () => {
    expect(
      loadTracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'salve-prod',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod, k8s.cluster.name=eu%2C1',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4096',
        OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '256',
      }),
    ).toMatchObject({
      protocol: 'http/json',
      serviceName: 'salve-prod',
      resourceAttributes: { 'deployment.environment.name': 'prod', 'k8s.cluster.name': 'eu,1' },
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      batch: { scheduleDelayMs: 1000 },
      attributeValueLengthLimit: 256,
    });
  });

  it('name every bad variable at once, including what salve does not speak', () => {
    const bad = () =>
      loadTracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_TRACES_SAMPLER: 'jaeger_remote',
        OTEL_BSP_MAX_QUEUE_SIZE: '-1',
        OTEL_RESOURCE_ATTRIBUTES: 'novalue',
      });
    expect(bad).toThrow(/OTEL_TRACES_EXPORTER: salve exports traces over OTLP only/);
    expect(bad).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT: expected an http\(s\) URL/);
    expect(bad).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: salve speaks OTLP\/HTTP .*got "grpc"/);
    expect(bad).toThrow(/OTEL_TRACES_SAMPLER: expected one of/);
    expect(bad).toThrow(/OTEL_BSP_MAX_QUEUE_SIZE: expected a positive integer/);
    expect(bad).toThrow(/OTEL_RESOURCE_ATTRIBUTES: expected key=value pairs/);
    expect(() =>
      loadTracingSettings({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG: expected a ratio between 0 and 1/);
  });
});

describe('SALVE_TRACE_URL', () => {
  it('is an http(s) URL template holding {traceId}', () => {
    expect(loadConfig({ SALVE_TRACE_URL: 'https://tempo.example/trace/{traceId}' }).traceUrl).toBe(
      'https://tempo.example/trace/{traceId}',
    );
    expect(
      loadConfig({
        SALVE_TRACE_URL: 'https://grafana.example/explore?left={"queries":[{"query":"{traceId}"}]}',
      }).traceUrl,
    ).toContain('{traceId}');
    expect(() => loadConfig({ SALVE_TRACE_URL: 'https://tempo.example/trace/' })).toThrow(
      /SALVE_TRACE_URL: expected a URL with \{traceId\} in it/,
    );
    expect(() => loadConfig({ SALVE_TRACE_URL: 'javascript:alert({traceId})' })).toThrow(
      /SALVE_TRACE_URL: expected an http\(s\) URL template/,
    );
    expect(() => loadConfig({}, { traceUrl: 'ftp://x/{traceId}' })).toThrow(/--trace-url/);
  });
});
