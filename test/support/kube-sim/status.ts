import { STATUS_CODES } from 'node:http';
import type { ResourceDef } from './resources.js';

export type StatusCause = { reason: string; message: string; field?: string };

export type StatusBody = {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[] };
  code: number;
};

/** A failure the API server answers with a Status body; thrown inside handlers, answered by the server. */
export class ApiError extends Error {
  readonly body: StatusBody;
  readonly headers: Record<string, string>;
  constructor(body: StatusBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.name = 'ApiError';
    this.body = body;
    this.headers = headers;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusBody['details']) {
  // Key order as a real server writes it: details before code.
  const body = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
  } as StatusBody;
  if (details !== undefined) body.details = details;
  body.code = code;
  return new ApiError(body);
}

/** `deployments.apps` as the API server names a group resource in messages. */
export function groupResource(r: ResourceDef): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`;
}

function details(r: ResourceDef, name: string) {
  return r.group === '' ? { name, kind: r.plural } : { name, group: r.group, kind: r.plural };
}

export const apiErrors = {
  notFound: (r: ResourceDef, name: string) =>
    failure(404, 'NotFound', `${groupResource(r)} "${name}" not found`, details(r, name)),
  alreadyExists: (r: ResourceDef, name: string) =>
    failure(409, 'AlreadyExists', `${groupResource(r)} "${name}" already exists`, details(r, name)),
  conflict: (r: ResourceDef, name: string) =>
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupResource(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details(r, name),
    ),
  invalid: (r: ResourceDef, name: string, causes: StatusCause[]) => {
    const parts = causes.map((c) => c.message);
    const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    const qualified = r.group === '' ? r.kind : `${r.kind}.${r.group}`;
    const d = { name, kind: r.kind, causes, ...(r.group === '' ? {} : { group: r.group }) };
    return failure(422, 'Invalid', `${qualified} "${name}" is invalid: ${joined}`, d);
  },
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  unsupportedMediaType: (contentType: string) =>
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format (${contentType}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
    ),
  methodNotAllowed: () =>
    failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
  pathNotFound: () => failure(404, 'NotFound', 'the server could not find the requested resource', {}),
  unauthorized: () => failure(401, 'Unauthorized', 'Unauthorized'),
  namespaceNotFound: (ns: string) =>
    failure(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' }),
};

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The Status an injected fault answers with. */
export function faultError(code: number, reason?: string): ApiError {
  const r = reason ?? REASONS[code] ?? 'Unknown';
  const err = failure(code, r, `injected fault: ${STATUS_CODES[code] ?? code}`);
  // Real servers ask throttled and unavailable clients to come back later.
  if (code === 429 || code === 503) err.headers['Retry-After'] = '1';
  return err;
}

export type FieldError = {
  type: 'Required' | 'Invalid' | 'TooLong' | 'NotSupported' | 'Forbidden';
  field: string;
  detail?: string;
  value?: unknown;
};

const CAUSE_REASON: Record<FieldError['type'], string> = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  TooLong: 'FieldValueTooLong',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
};

/** field.Error.Error() in apimachinery's words. */
export function toCause(e: FieldError): StatusCause {
  const suffix = e.detail === undefined ? '' : `: ${e.detail}`;
  const value = JSON.stringify(e.value ?? null);
  const text = {
    Required: `Required value${suffix}`,
    Invalid: `Invalid value: ${value}${suffix}`,
    TooLong: `Too long${suffix}`,
    NotSupported: `Unsupported value: ${value}${suffix}`,
    Forbidden: `Forbidden${suffix}`,
  }[e.type];
  return { reason: CAUSE_REASON[e.type], message: `${e.field}: ${text}`, field: e.field };
}
