import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strayPoll } from './fake-webhook.js';

// PagerDuty's Events API v2 on 127.0.0.1:0, as its documentation states the contract (developer-docs
// docs/events-API-v2/01-Overview.md, 02-Trigger-Events.md, 05-Rate-Limits.md; api-schema
// reference/events-v2/openapiv3.json):
// - POST /v2/enqueue, JSON, no Authorization header: the integration's 32-character routing_key is in the body.
// - 202 {status: "success", message: "Event processed", dedup_key}; 400 {status: "invalid event", message,
//   errors: [...]} for an event it will never accept (do not retry); 429 when rate limited (about 120 events a
//   minute per routing key); 5xx for its own trouble (retry).
// - dedup_key: at most 255 characters; required for acknowledge and resolve; a trigger without one gets a UUID.
// - trigger needs payload.summary (at most 1024 characters), payload.source and payload.severity (critical,
//   error, warning, info); links need href, images need src. The whole event is at most 512 KB.
// - Events for an open alert apply to it; once resolved, a trigger with the same dedup_key opens a new alert
//   and acknowledge/resolve are dropped. An acknowledged alert notifies nobody, even on new triggers.
// Errors the documentation does not spell out word for word are worded like its example
// ("Length of 'routing_key' is incorrect (should be 32 characters)").

export type PagerDutyEvent = {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key?: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read payloads freely.
  payload?: any;
  links?: Array<{ href: string; text?: string }>;
  images?: Array<{ src: string; href?: string; alt?: string }>;
  client?: string;
  client_url?: string;
};

export type PagerDutyRequest = {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read bodies freely.
  body: any;
};

/** One alert as PagerDuty holds it: its status and every event applied to it. */
export type PagerDutyAlert = {
  routingKey: string;
  dedupKey: string;
  /** Counts alerts opened under the same dedup_key (a trigger after a resolve opens a new one). */
  number: number;
  status: 'triggered' | 'acknowledged' | 'resolved';
  summary: string;
  severity: string;
  events: PagerDutyEvent[];
  /** Times someone on call was notified: opening the alert notifies, a trigger on an open one does not. */
  notifications: number;
};

/**
 * A scripted answer (a string body is sent as it is, anything else as JSON), no answer at all (`hang`), or
 * `process`: handle that request as PagerDuty would (to script the one after it).
 */
export type Answer = { status: number; body?: unknown; retryAfter?: string } | { hang: true } | 'process';

export type FakePagerDuty = {
  url: string;
  /** The enqueue URL salve posts to (SALVE_PAGERDUTY_URL). */
  enqueueUrl: string;
  requests: PagerDutyRequest[];
  /** Events accepted (202), in order. */
  accepted(): PagerDutyEvent[];
  /** Every alert opened, oldest first (a dedup_key re-triggered after a resolve appears twice). */
  alerts(): PagerDutyAlert[];
  /** The open or last alert with this dedup_key. */
  alert(dedupKey: string): PagerDutyAlert | undefined;
  /** The next `times` requests get this answer instead of being processed. */
  answerNext(answer: Answer, times?: number): void;
  close(): Promise<void>;
};

export const pagerDutyLimits = {
  routingKey: 32,
  dedupKey: 255,
  summary: 1024,
  eventBytes: 512 * 1024,
} as const;
const ACTIONS = new Set(['trigger', 'acknowledge', 'resolve']);
const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const blank = (v: unknown) => typeof v !== 'string' || v.trim() === '';

/** Every reason PagerDuty would refuse the event, in its words; empty when it accepts it. */
export function pagerDutyErrors(body: unknown): string[] {
  if (!isObject(body)) return ['Event object is invalid'];
  const errors: string[] = [];
  if (typeof body.routing_key !== 'string' || body.routing_key.length !== pagerDutyLimits.routingKey) {
    errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  }
  if (typeof body.event_action !== 'string' || !ACTIONS.has(body.event_action)) {
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  }
  if (body.dedup_key !== undefined) {
    if (typeof body.dedup_key !== 'string') errors.push("'dedup_key' must be a string");
    else if (body.dedup_key.length > pagerDutyLimits.dedupKey) {
      errors.push("Length of 'dedup_key' is too long (should be at most 255 characters)");
    }
  }
  if (body.event_action !== 'trigger') {
    if (blank(body.dedup_key)) errors.push("'dedup_key' is missing or blank");
    return errors;
  }
  const payload = body.payload;
  if (!isObject(payload)) return [...errors, "'payload' is missing or not an object"];
  if (blank(payload.summary)) errors.push("'payload.summary' is missing or blank");
  else if ((payload.summary as string).length > pagerDutyLimits.summary) {
    errors.push("Length of 'payload.summary' is too long (should be at most 1024 characters)");
  }
  if (blank(payload.source)) errors.push("'payload.source' is missing or blank");
  if (typeof payload.severity !== 'string' || !SEVERITIES.has(payload.severity)) {
    errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  }
  if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp)))) {
    errors.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
  }
  if (payload.custom_details !== undefined && !isObject(payload.custom_details)) {
    errors.push("'payload.custom_details' must be an object");
  }
  for (const field of ['component', 'group', 'class'] as const) {
    if (payload[field] !== undefined && typeof payload[field] !== 'string') {
      errors.push(`'payload.${field}' must be a string`);
    }
  }
  const links = body.links ?? [];
  if (!Array.isArray(links) || links.some((l) => !isObject(l) || blank(l.href))) {
    errors.push("'links' must be a list of objects with an 'href'");
  }
  const images = body.images ?? [];
  if (!Array.isArray(images) || images.some((i) => !isObject(i) || blank(i.src))) {
    errors.push("'images' must be a list of objects with a 'src'");
  }
  return errors;
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const requests: PagerDutyRequest[] = [];
  const accepted: PagerDutyEvent[] = [];
  const alerts: PagerDutyAlert[] = [];
  const script: Answer[] = [];

  const open = (routingKey: string, dedupKey: string) =>
    alerts.findLast((a) => a.routingKey === routingKey && a.dedupKey === dedupKey && a.status !== 'resolved');

  function apply(event: PagerDutyEvent): string {
    const dedupKey = event.dedup_key ?? randomUUID();
    const alert = open(event.routing_key, dedupKey);
    if (event.event_action === 'trigger') {
      if (alert !== undefined) {
        alert.events.push(event);
        alert.summary = event.payload.summary;
        alert.severity = event.payload.severity;
        return dedupKey;
      }
      alerts.push({
        routingKey: event.routing_key,
        dedupKey,
        number: alerts.filter((a) => a.dedupKey === dedupKey).length + 1,
        status: 'triggered',
        summary: event.payload.summary,
        severity: event.payload.severity,
        events: [event],
        notifications: 1,
      });
      return dedupKey;
    }
    // Acknowledge and resolve apply to an open alert, and are dropped otherwise (still 202).
    if (alert !== undefined) {
      alert.events.push(event);
      alert.status = event.event_action === 'resolve' ? 'resolved' : 'acknowledged';
    }
    return dedupKey;
  }

  function handle(path: string, method: string | undefined, raw: string): { status: number; body: unknown } {
    if (method !== 'POST' || path !== '/v2/enqueue') {
      return { status: 404, body: { status: 'Not Found', message: 'Not Found' } };
    }
    if (Buffer.byteLength(raw) > pagerDutyLimits.eventBytes) {
      const errors = ['Event object is too large (should be at most 512 KB)'];
      return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      const errors = ['JSON parse error'];
      const message = 'Event object format is unrecognized';
      return { status: 400, body: { status: 'Unrecognized object', message, errors } };
    }
    const errors = pagerDutyErrors(body);
    if (errors.length > 0) {
      return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
    }
    const event = body as PagerDutyEvent;
    accepted.push(event);
    const dedupKey = apply(event);
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      if (strayPoll(req.method, path)) {
        res.writeHead(404).end();
        return;
      }
      const next = script.shift();
      const scripted = next === 'process' ? undefined : next;
      if (scripted !== undefined && 'hang' in scripted) {
        requests.push({ path, headers: req.headers, raw, status: 0, body: parse(raw) });
        return;
      }
      const answer = scripted ?? handle(path, req.method, raw);
      requests.push({ path, headers: req.headers, raw, status: answer.status, body: parse(raw) });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (scripted?.retryAfter !== undefined) headers['retry-after'] = scripted.retryAfter;
      res.writeHead(answer.status, headers);
      const text = answer.body;
      res.end(text === undefined ? '' : typeof text === 'string' ? text : JSON.stringify(text));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    enqueueUrl: `${url}/v2/enqueue`,
    requests,
    accepted: () => [...accepted],
    alerts: () => [...alerts],
    alert: (dedupKey) => alerts.findLast((a) => a.dedupKey === dedupKey),
    answerNext(answer, times = 1) {
      for (let i = 0; i < times; i++) script.push(answer);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
