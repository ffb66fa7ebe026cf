/** What the OpenTelemetry SDK is built from: read from the standard `OTEL_*` variables (src/config/tracing.ts). */
export type TracingSettings = {
  /** The full URL spans are POSTed to (`…/v1/traces`). */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, besides service.name, service.version and service.instance.id. */
  resourceAttributes: Record<string, string>;
  sampler: { name: SamplerName; ratio: number };
  /** The batch span processor: `OTEL_BSP_*`. */
  batch: {
    scheduleDelayMs: number;
    exportTimeoutMs: number;
    maxQueueSize: number;
    maxExportBatchSize: number;
  };
  /** Every string attribute, event attribute and status message is cut to this many characters. */
  attributeValueLengthLimit: number;
};

export const samplerNames = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof samplerNames)[number];

/** A heal's alert text is hostile: without OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, salve still bounds it. */
export const defaultAttributeValueLengthLimit = 1024;
