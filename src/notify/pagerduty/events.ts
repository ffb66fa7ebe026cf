import { createHash } from 'node:crypto';
import { targetLabel } from '../../actions/step.js';
import type { NotificationEvent, NotificationKind, TimelineEntry } from '../../domain/notification.js';
import { waitedFor } from '../words.js';

// What salve's notification events become in PagerDuty's Events API v2 (developer.pagerduty.com, "Send an
// Alert Event"): one incident per heal at a time, keyed by the heal. Pure: no I/O, no clock.
//
//   heal.escalated          trigger (after a resolve, when an earlier page was acknowledged: see below)
//   approval.overdue        trigger
//   approval.decided        acknowledge when approved (someone is on it), resolve when rejected
//   heal.resolved,
//   heal.cancelled,
//   heal.refused,
//   heal.dry_run            resolve, when the heal was paged
//   anything else           nothing: PagerDuty is for what needs a human
//
// PagerDuty notifies nobody about a trigger on an acknowledged incident. An escalation after an approved page
// therefore resolves the acknowledged incident first, and its trigger opens a new one that pages again.

export const pagerDutyLimits = {
  /** An Events API v2 integration key. */
  routingKey: 32,
  dedupKey: 255,
  summary: 1024,
  /** The whole event: PagerDuty's documented 512 KB, counted the strictest way (Alertmanager does the same). */
  eventBytes: 512_000,
} as const;

/** Longest text salve puts in one field of the details or one timeline line. */
const MAX_TEXT = 2_000;

export const pagerDutySeverities = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof pagerDutySeverities)[number];
export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export type PagerDutyLink = { href: string; text: string };

export type PagerDutyBody = {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component: string;
    group?: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: PagerDutyLink[];
  client?: string;
  client_url?: string;
};

/**
 * `salve/<heal id>`: the same heal always names the same incident, so a retried or repeated event updates it
 * instead of opening another. Heal ids are short; a longer one (never made by salve) is hashed to fit.
 */
export function dedupKeyOf(healId: string): string {
  const key = `salve/${healId}`;
  if (key.length <= pagerDutyLimits.dedupKey) return key;
  return `salve/sha256:${createHash('sha256').update(healId).digest('hex')}`;
}

/**
 * The alert's `severity` label in PagerDuty's four words. Unknown words and heals without an alert (manual
 * heals) are `error`: salve asking for a human is never just information.
 */
export function pagerDutySeverity(severity: string | null | undefined): PagerDutySeverity {
  switch (severity?.trim().toLowerCase()) {
    case 'page':
    case 'critical':
    case 'fatal':
    case 'emergency':
      return 'critical';
    case 'warning':
    case 'warn':
      return 'warning';
    case 'info':
    case 'informational':
    case 'none':
      return 'info';
    default:
      return 'error';
  }
}

/** Events that only follow up a page: told only when the heal paged. */
const followUps: ReadonlySet<NotificationKind> = new Set([
  'approval.decided',
  'heal.resolved',
  'heal.cancelled',
  'heal.refused',
  'heal.dry_run',
]);

/** The Events API actions an event calls for, in order. */
export function pagerDutyActions(event: NotificationEvent): PagerDutyAction[] {
  const paged = event.heal.pagedAt !== null;
  if (event.kind === 'heal.escalated') return paged ? ['resolve', 'trigger'] : ['trigger'];
  if (event.kind === 'approval.overdue') return ['trigger'];
  if (!followUps.has(event.kind) || !paged) return [];
  const approved = event.kind === 'approval.decided' && event.approval?.decision === 'approved';
  return [approved ? 'acknowledge' : 'resolve'];
}

/** Why an event calls for no Events API action: what its `skipped` audit record says. */
export function whyNotPaged(event: NotificationEvent): string {
  return followUps.has(event.kind)
    ? `${event.kind}: this heal never paged, so there is no incident to acknowledge or resolve`
    : `${event.kind}: PagerDuty is told only what needs a human (an escalation, an overdue approval) and its end`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Only plain http(s) links reach PagerDuty: an alert's generatorURL is whatever the alert said. */
function httpLink(url: string | null | undefined, text: string): PagerDutyLink[] {
  if (!url) return [];
  const parsed = URL.parse(url);
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) return [];
  return [{ href: parsed.href, text }];
}

const targetText = (e: NotificationEvent) => targetLabel(e.heal.target);

function summaryOf(e: NotificationEvent): string {
  const on = e.alert ? `${e.alert.alertname} on ` : '';
  const policy = `(policy ${e.heal.policy})`;
  if (e.kind === 'approval.overdue') {
    const waited = waitedFor(e);
    // describe() says "would restart ...": one "would" is enough.
    const steps =
      e.approval?.wouldDo?.map((w) => w.replace(/^would /, '')) ?? e.heal.steps.map((s) => s.action);
    const would = steps.join('; then ');
    return `salve: ${on}${targetText(e)} has waited${waited ? ` for ${waited}` : ''} for an approval to heal ${policy}: would ${would}`;
  }
  const tried = e.escalation?.tried ?? [];
  const why = e.escalation?.why ?? e.refusal?.detail ?? 'no step healed it';
  if (tried.length === 0) return `salve: ${on}${targetText(e)} needs a human ${policy}: ${why}`;
  const steps = tried.map((t) => t.action).join(', then ');
  return `salve: ${on}${targetText(e)} not healed by ${steps} ${policy}: ${why}`;
}

function timelineLine(entry: TimelineEntry): string {
  const outcome = entry.outcome ? ` ${entry.outcome}` : '';
  const detail = entry.detail ? `: ${entry.detail}` : '';
  return clip(`${entry.at} ${entry.type}${outcome}${detail}`, MAX_TEXT);
}

function detailsOf(e: NotificationEvent, timeline: readonly TimelineEntry[], omitted: number) {
  const clipped = (text: string | null | undefined) => (text ? clip(text, MAX_TEXT) : null);
  return {
    heal: e.heal.id,
    policy: e.heal.policy,
    target: e.heal.targetKey,
    state: e.heal.state,
    dry_run: e.heal.dryRun,
    opened_at: e.heal.openedAt,
    console: e.heal.consoleUrl,
    alert: e.alert && {
      alertname: clipped(e.alert.alertname),
      severity: clipped(e.alert.severity),
      summary: clipped(e.alert.summary),
      fingerprint: e.alert.fingerprint,
    },
    ...(e.escalation && {
      why: clipped(e.escalation.why),
      tried: e.escalation.tried.map((t) => `step ${t.step}: ${t.action}`),
    }),
    ...(e.refusal && { refusal: clipped(`${e.refusal.guard}: ${e.refusal.detail}`) }),
    ...(e.approval && {
      approval: {
        waiting_since: e.approval.waitingSince ?? null,
        expires_at: e.approval.expiresAt ?? null,
        would_do: (e.approval.wouldDo ?? []).map((w) => clip(w, MAX_TEXT)),
      },
    }),
    timeline: [
      ...(omitted > 0
        ? [`(${omitted} earlier entries left out: the whole story is in salve's audit log)`]
        : []),
      ...timeline.map(timelineLine),
    ],
  };
}

const sizeOf = (body: PagerDutyBody) => Buffer.byteLength(JSON.stringify(body));

/**
 * The trigger event, within PagerDuty's limits: the summary clipped to 1024 characters, the timeline's oldest
 * entries left out until the event fits 512 KB, and if even that is not enough, the details replaced by a note.
 */
function triggerBody(e: NotificationEvent, routingKey: string): PagerDutyBody {
  const links = [
    ...httpLink(e.heal.consoleUrl, 'salve: the heal in the console'),
    ...httpLink(e.heal.url, 'salve: the heal in the API'),
    // SALVE_TRACE_URL, when the heal is traced and sampled: the responder sees each step's requests and timing.
    ...httpLink(e.heal.traceUrl, 'Trace: the heal from the alert to its verification'),
    ...httpLink(e.alert?.generatorURL, 'Prometheus: the alert expression'),
    ...httpLink(e.alert?.alertmanagerURL, 'Alertmanager'),
  ];
  const entries = e.timeline ?? [];
  const body = (timeline: readonly TimelineEntry[], omitted: number, details?: Record<string, unknown>) => ({
    routing_key: routingKey,
    event_action: 'trigger' as const,
    dedup_key: dedupKeyOf(e.heal.id),
    payload: {
      summary: clip(summaryOf(e), pagerDutyLimits.summary),
      source: e.heal.targetKey,
      severity: pagerDutySeverity(e.alert?.severity),
      timestamp: e.at,
      component: e.heal.target.name,
      // A cluster-scoped target (a Node) has no namespace to group by.
      ...(e.heal.target.namespace ? { group: e.heal.target.namespace } : {}),
      class: e.kind === 'approval.overdue' ? 'salve approval overdue' : 'salve escalation',
      custom_details: details ?? detailsOf(e, timeline, omitted),
    },
    links,
    client: 'salve',
    ...(httpLink(e.heal.consoleUrl, '').length > 0 ? { client_url: e.heal.consoleUrl as string } : {}),
  });
  let kept = entries.length;
  let candidate = body(entries, 0);
  while (sizeOf(candidate) > pagerDutyLimits.eventBytes && kept > 0) {
    kept = Math.floor(kept / 2);
    candidate = body(entries.slice(entries.length - kept), entries.length - kept);
  }
  if (sizeOf(candidate) <= pagerDutyLimits.eventBytes) return candidate;
  const note = `details left out: the event exceeded PagerDuty's ${pagerDutyLimits.eventBytes} bytes`;
  return body([], entries.length, { heal: e.heal.id, target: clip(e.heal.targetKey, MAX_TEXT), note });
}

/** The Events API v2 bodies an event becomes, in the order they must be sent; empty: nothing to tell. */
export function pagerDutyEvents(event: NotificationEvent, routingKey: string): PagerDutyBody[] {
  return pagerDutyActions(event).map((action) =>
    action === 'trigger'
      ? triggerBody(event, routingKey)
      : { routing_key: routingKey, event_action: action, dedup_key: dedupKeyOf(event.heal.id) },
  );
}
