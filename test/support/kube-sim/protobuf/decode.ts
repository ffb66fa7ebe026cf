import type { KubeObject } from '../types.js';
import { rfc3339 } from '../util.js';
import { type FieldSpec, schema } from './schema.js';
import { readFields, readPackedVarints, toInt, WireError, type WireField } from './wire.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

export class ProtobufError extends Error {}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

function field(fields: WireField[], num: number): WireField | undefined {
  return fields.find((f) => f.num === num);
}

function scalarZero(spec: FieldSpec, v: unknown): boolean {
  if (spec.repeated) return Array.isArray(v) && v.length === 0;
  if (spec.type === 'map' || spec.type === 'qmap')
    return typeof v === 'object' && v !== null && Object.keys(v).length === 0;
  if (spec.pointer) return false;
  return v === '' || v === 0 || v === false || v === undefined;
}

function decodeValue(spec: FieldSpec, f: WireField, path: string): unknown {
  switch (spec.type) {
    case 's':
      return text(f.bytes);
    case 'i':
      return f.wireType === 0 ? toInt(f.varint ?? 0n) : readPackedVarints(f.bytes ?? new Uint8Array());
    case 'b':
      return (f.varint ?? 0n) !== 0n;
    case 'map':
    case 'qmap': {
      const entry = readFields(f.bytes ?? new Uint8Array());
      const value = field(entry, 2)?.bytes;
      const v =
        spec.type === 'map' ? text(value) : text(field(readFields(value ?? new Uint8Array()), 1)?.bytes);
      return [text(field(entry, 1)?.bytes), v];
    }
    case 'Time': {
      const t = readFields(f.bytes ?? new Uint8Array());
      const seconds = toInt(field(t, 1)?.varint ?? 0n);
      // Go's zero time marshals as {seconds: 0}; JSON writes a non-pointer zero time as null.
      if (seconds === 0) return spec.pointer ? undefined : null;
      return rfc3339(seconds * 1000);
    }
    case 'Quantity':
      return text(field(readFields(f.bytes ?? new Uint8Array()), 1)?.bytes);
    case 'IntOrString': {
      const v = readFields(f.bytes ?? new Uint8Array());
      return toInt(field(v, 1)?.varint ?? 0n) === 0
        ? toInt(field(v, 2)?.varint ?? 0n)
        : text(field(v, 3)?.bytes);
    }
    default:
      return decodeMessage(spec.type, f.bytes ?? new Uint8Array(), path);
  }
}

function decodeMessage(msg: string, bytes: Uint8Array, path: string): Record<string, unknown> {
  const fields = schema[msg];
  if (fields === undefined)
    throw new ProtobufError(`${path}: message ${msg} is not in kube-sim's protobuf schema`);
  const out: Record<string, unknown> = {};
  for (const f of readFields(bytes)) {
    const spec = fields.get(f.num);
    if (spec === undefined) {
      throw new ProtobufError(
        `${path}: field ${f.num} of ${msg} is not in kube-sim's protobuf schema (protobuf/schema.ts)`,
      );
    }
    if (spec.type === 'skip') continue;
    const value = decodeValue(spec, f, `${path}.${spec.name}`);
    if (spec.inline) Object.assign(out, value);
    else if (spec.type === 'map' || spec.type === 'qmap') {
      const [k, v] = value as [string, string];
      out[spec.name] = { ...(out[spec.name] as object | undefined), [k]: v };
    } else if (spec.repeated) {
      const list = (out[spec.name] ?? []) as unknown[];
      list.push(...(Array.isArray(value) ? value : [value]));
      out[spec.name] = list;
    } else if (value !== undefined) out[spec.name] = value;
  }
  // Go writes every non-pointer field, zero or not; JSON would have omitted the zero ones.
  for (const spec of fields.values())
    if (spec.name in out && scalarZero(spec, out[spec.name])) delete out[spec.name];
  return out;
}

/** Decodes the `k8s\0` + runtime.Unknown envelope kubectl's typed clients post. */
export function decodeKubeProtobuf(buf: Uint8Array): KubeObject {
  if (buf.length < 4 || MAGIC.some((b, i) => buf[i] !== b))
    throw new ProtobufError('body is not a Kubernetes protobuf envelope');
  try {
    const unknown = readFields(buf.subarray(4));
    const typeMeta = readFields(field(unknown, 1)?.bytes ?? new Uint8Array());
    const apiVersion = text(field(typeMeta, 1)?.bytes);
    const kind = text(field(typeMeta, 2)?.bytes);
    const raw = field(unknown, 2)?.bytes ?? new Uint8Array();
    if (schema[kind] === undefined)
      throw new ProtobufError(`kube-sim cannot decode protobuf ${apiVersion} ${kind}`);
    const body = decodeMessage(kind, raw, kind);
    return { apiVersion, kind, ...body, metadata: (body.metadata ?? {}) as KubeObject['metadata'] };
  } catch (err) {
    if (err instanceof WireError) throw new ProtobufError(`malformed protobuf: ${err.message}`);
    throw err;
  }
}
