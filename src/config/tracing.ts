import { SalveError } from '../errors.js';
import { traceIdPlaceholder } from '../observability/tracing.js';
import {
  defaultAttributeValueLengthLimit,
  type SamplerName,
  samplerNames,
  type TracingSettings,
} from '../runtime/tracing/settings.js';

// The standard OpenTelemetry variables salve reads (the SDK's environment specification). Tracing is on only
// when an OTLP endpoint is set: otherwise no SDK is built and a heal costs nothing more than without it.

/** The variables read here, for the docs and for the error messages. */
export const tracingEnv = [
  'OTEL_SDK_DISABLED',
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_BSP_EXPORT_TIMEOUT',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
] as const;
type TracingVar = (typeof tracingEnv)[number];

const protocols = ['http/protobuf', 'http/json'] as const;

/** The spec's empty value is unset; surrounding spaces are ignored. */
function read(env: NodeJS.ProcessEnv, name: TracingVar): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function httpUrl(value: string, name: TracingVar, problems: string[]): string | null {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
  } catch {}
  problems.push(`${name}: expected an http(s) URL, got ${JSON.stringify(value)}`);
  return null;
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is; OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended. */
function endpointOf(env: NodeJS.ProcessEnv, problems: string[]): string | null {
  const traces = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) return httpUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', problems);
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === undefined) return null;
  const url = httpUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT', problems);
  return url === null ? null : `${url.replace(/\/+$/, '')}/v1/traces`;
}

function integer(env: NodeJS.ProcessEnv, name: TracingVar, fallback: number, problems: string[]): number {
  const value = read(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n > 0) return n;
  problems.push(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  return fallback;
}

/** `key1=value1,key2=value2`, values percent-encoded (the W3C Baggage octet rules the spec refers to). */
function resourceAttributes(env: NodeJS.ProcessEnv, problems: string[]): Record<string, string> {
  const value = read(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    if (at <= 0 || key === '') {
      problems.push(`OTEL_RESOURCE_ATTRIBUTES: expected key=value pairs, got ${JSON.stringify(pair)}`);
      continue;
    }
    try {
      out[key] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      problems.push(`OTEL_RESOURCE_ATTRIBUTES: ${key} is not valid percent-encoding`);
    }
  }
  return out;
}

function sampler(env: NodeJS.ProcessEnv, problems: string[]): TracingSettings['sampler'] {
  const name = (read(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (!(samplerNames as readonly string[]).includes(name)) {
    problems.push(
      `OTEL_TRACES_SAMPLER: expected one of ${samplerNames.join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  const arg = read(env, 'OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (name.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG: expected a ratio between 0 and 1, got ${JSON.stringify(arg)}`);
  }
  return { name: name as SamplerName, ratio: ratio >= 0 && ratio <= 1 ? ratio : 1 };
}

/**
 * The tracing settings from the environment, or null when tracing is off: no endpoint, OTEL_SDK_DISABLED=true
 * or OTEL_TRACES_EXPORTER=none. Every problem is named with its variable, all at once.
 */
export function loadTracingSettings(env: NodeJS.ProcessEnv): TracingSettings | null {
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const problems: string[] = [];
  const exporter = (read(env, 'OTEL_TRACES_EXPORTER') ?? 'otlp').toLowerCase();
  if (exporter === 'none') return null;
  if (exporter !== 'otlp') {
    problems.push(
      `OTEL_TRACES_EXPORTER: salve exports traces over OTLP only ("otlp" or "none"), got "${exporter}"`,
    );
  }
  const endpoint = endpointOf(env, problems);
  const protocol =
    read(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && !(protocols as readonly string[]).includes(protocol)) {
    problems.push(
      `OTEL_EXPORTER_OTLP_PROTOCOL: salve speaks OTLP/HTTP (${protocols.join(' or ')}, port 4318), got "${protocol}"`,
    );
  }
  const limit =
    read(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') !== undefined
      ? integer(env, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', defaultAttributeValueLengthLimit, problems)
      : integer(env, 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', defaultAttributeValueLengthLimit, problems);
  const settings: TracingSettings = {
    endpoint: endpoint ?? '',
    protocol: (protocol ?? 'http/protobuf') as TracingSettings['protocol'],
    serviceName: read(env, 'OTEL_SERVICE_NAME') ?? 'salve',
    resourceAttributes: resourceAttributes(env, problems),
    sampler: sampler(env, problems),
    batch: {
      scheduleDelayMs: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5_000, problems),
      exportTimeoutMs: integer(env, 'OTEL_BSP_EXPORT_TIMEOUT', 30_000, problems),
      maxQueueSize: integer(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2_048, problems),
      maxExportBatchSize: integer(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, problems),
    },
    attributeValueLengthLimit: limit,
  };
  if (problems.length > 0) {
    throw new SalveError('SALVE_CONFIG_INVALID', `invalid tracing configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return endpoint === null ? null : settings;
}

/** SALVE_TRACE_URL: an http(s) URL template with `{traceId}` where the trace's id goes. */
export function checkTraceUrlTemplate(template: string): string | null {
  if (!template.includes(traceIdPlaceholder)) return `expected a URL with ${traceIdPlaceholder} in it`;
  try {
    const url = new URL(template.split(traceIdPlaceholder).join('0'.repeat(32)));
    if (url.protocol === 'http:' || url.protocol === 'https:') return null;
  } catch {}
  return `expected an http(s) URL template, e.g. https://tempo.example/trace/${traceIdPlaceholder}`;
}
