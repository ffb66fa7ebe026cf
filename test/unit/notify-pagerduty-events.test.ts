import { describe, expect, it } from 'vitest';
import type { NotificationEvent, TimelineEntry } from '../../src/domain/notification.js';
import { exampleEvents } from '../../src/notify/examples.js';
import {
  dedupKeyOf,
  pagerDutyActions,
  pagerDutyEvents,
  pagerDutyLimits,
  pagerDutySeverity,
} from '../../src/notify/pagerduty/events.js';
import { explainPagerDuty, routingKeyProblem } from '../../src/notify/pagerduty/send.js';
import { pagerDutyErrors } from '../support/fake-pagerduty.js';

const key = 'R0UTINGKEY0123456789abcdefABCDEF';
const example = (kind: NotificationEvent['kind']): NotificationEvent => {
  const found = exampleEvents.find((e) => e.event.kind === kind);
  if (!found) throw new Error(`no example ${kind}`);
  return structuredClone(found.event);
};
const timeline: TimelineEntry[] = [
  { at: '2026-11-27T03:00:00.000Z', type: 'heal.opened', outcome: 'opened', detail: null },
  {
    at: '2026-11-27T03:00:02.000Z',
    type: 'action.finished',
    outcome: 'changed',
    detail: 'step 1 k8s.restart: restarted Deployment ml-prod/fraud-scorer',
  },
];
const escalated = (): NotificationEvent => ({ ...example('heal.escalated'), timeline });

describe('PagerDuty events from salve notifications', () => {
  it('triggers on an escalation with everything the documented contract requires', () => {
    const [body, ...rest] = pagerDutyEvents(escalated(), key);
    expect(rest).toEqual([]);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body).toMatchObject({
      routing_key: key,
      event_action: 'trigger',
      dedup_key: 'salve/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      client: 'salve',
      client_url: 'https://salve.example/#/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      payload: {
        source: 'Deployment/ml-prod/fraud-scorer',
        severity: 'critical',
        timestamp: '2026-11-27T03:30:00.000Z',
        component: 'fraud-scorer',
        group: 'ml-prod',
        class: 'salve escalation',
      },
    });
    expect(body!.payload!.summary).toBe(
      'salve: ModelServingErrorRate on Deployment ml-prod/fraud-scorer not healed by k8s.restart, then k8s.rollback (policy scorer-error-rate): 1 alert(s) still firing at the deadline',
    );
    expect(body!.links).toEqual([
      {
        href: 'https://salve.example/#/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
        text: 'salve: the heal in the console',
      },
      {
        href: 'https://salve.example/v1/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
        text: 'salve: the heal in the API',
      },
      {
        href: 'https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736',
        text: 'Trace: the heal from the alert to its verification',
      },
      {
        href: 'http://prometheus.example:9090/graph?g0.expr=model_errors',
        text: 'Prometheus: the alert expression',
      },
      { href: 'http://alertmanager.example:9093/', text: 'Alertmanager' },
    ]);
    expect(body!.payload!.custom_details).toMatchObject({
      heal: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      policy: 'scorer-error-rate',
      target: 'Deployment/ml-prod/fraud-scorer',
      why: '1 alert(s) still firing at the deadline',
      tried: ['step 1: k8s.restart', 'step 2: k8s.rollback'],
      alert: { alertname: 'ModelServingErrorRate', severity: 'critical' },
      timeline: [
        '2026-11-27T03:00:00.000Z heal.opened opened',
        '2026-11-27T03:00:02.000Z action.finished changed: step 1 k8s.restart: restarted Deployment ml-prod/fraud-scorer',
      ],
    });
  });

  it('says a refusal that escalated (the loop breaker) needs a human, with nothing tried', () => {
    const event = escalated();
    event.escalation = { why: 'loop_breaker: 3 actions on the target in 1h', tried: [] };
    const [body] = pagerDutyEvents(event, key);
    expect(body!.payload!.summary).toBe(
      'salve: ModelServingErrorRate on Deployment ml-prod/fraud-scorer needs a human (policy scorer-error-rate): loop_breaker: 3 actions on the target in 1h',
    );
  });

  it('triggers when an approval is overdue, saying for how long and what would be done', () => {
    const [body] = pagerDutyEvents(example('approval.overdue'), key);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body!.payload!.class).toBe('salve approval overdue');
    expect(body!.payload!.summary).toBe(
      'salve: ModelServingErrorRate on Deployment ml-prod/fraud-scorer has waited for 20m for an approval to heal (policy scorer-error-rate): would restart Deployment ml-prod/fraud-scorer; then roll back Deployment ml-prod/fraud-scorer to its last known good release',
    );
    expect(body!.payload!.custom_details).toMatchObject({
      approval: { waiting_since: '2026-11-27T03:00:01.000Z', expires_at: '2026-11-27T04:00:01.000Z' },
    });
  });

  it.each([
    ['heal.escalated', null, ['trigger']],
    ['heal.escalated', 'paged', ['resolve', 'trigger']],
    ['approval.overdue', 'paged', ['trigger']],
    ['approval.decided', null, []],
    ['heal.resolved', null, []],
    ['heal.cancelled', null, []],
    ['heal.resolved', 'paged', ['resolve']],
    ['heal.cancelled', 'paged', ['resolve']],
    ['heal.refused', 'paged', ['resolve']],
    ['heal.dry_run', 'paged', ['resolve']],
    ['heal.opened', 'paged', []],
    ['step.result', 'paged', []],
    ['approval.requested', null, []],
  ] as const)('%s (%s) -> %j', (kind, paged, actions) => {
    const event = example(kind);
    event.heal.pagedAt = paged === null ? null : '2026-11-27T03:20:01.000Z';
    expect(pagerDutyActions(event)).toEqual(actions);
  });

  it('acknowledges a paged heal when it is approved and resolves it when rejected; resolves by key alone', () => {
    const event = example('approval.decided');
    event.heal.pagedAt = '2026-11-27T03:20:01.000Z';
    expect(pagerDutyEvents(event, key)).toEqual([
      { routing_key: key, event_action: 'acknowledge', dedup_key: 'salve/heal_01kb2m3n4p5q6r7s8t9v0w1x2y' },
    ]);
    event.approval = { decision: 'rejected', decidedBy: 'token:ops' };
    const [resolve] = pagerDutyEvents(event, key);
    expect(resolve).toEqual({
      routing_key: key,
      event_action: 'resolve',
      dedup_key: 'salve/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
    });
    expect(pagerDutyErrors(resolve)).toEqual([]);
  });

  it.each([
    ['page', 'critical'],
    ['critical', 'critical'],
    ['CRITICAL', 'critical'],
    ['error', 'error'],
    ['warning', 'warning'],
    ['warn', 'warning'],
    ['info', 'info'],
    ['none', 'info'],
    ['P3', 'error'],
    [null, 'error'],
  ] as const)('severity %s -> %s', (severity, pd) => {
    expect(pagerDutySeverity(severity)).toBe(pd);
  });

  it('a manual heal (no alert) triggers at error with no alert links', () => {
    const event = { ...escalated(), alert: null };
    const [body] = pagerDutyEvents(event, key);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body!.payload!.severity).toBe('error');
    expect(body!.payload!.summary).toMatch(/^salve: Deployment ml-prod\/fraud-scorer not healed by/);
    expect(body!.links!.map((l) => l.text)).toEqual([
      'salve: the heal in the console',
      'salve: the heal in the API',
      'Trace: the heal from the alert to its verification',
    ]);
  });

  it('an untraced heal (no SALVE_TRACE_URL, or not sampled) has no trace link', () => {
    const event = escalated();
    event.heal.traceUrl = null;
    const [body] = pagerDutyEvents(event, key);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body!.links!.map((l) => l.text)).not.toContain(
      'Trace: the heal from the alert to its verification',
    );
  });

  it('without SALVE_PUBLIC_URL there is no console link and no client_url', () => {
    const event = escalated();
    event.heal.url = null;
    event.heal.consoleUrl = null;
    const [body] = pagerDutyEvents(event, key);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body).not.toHaveProperty('client_url');
    expect(body!.links!.map((l) => l.text)).not.toContain('salve: the heal in the console');
  });

  it('a cluster-scoped target (no namespace) has no group', () => {
    const event = escalated();
    event.heal.target = { kind: 'Node', namespace: '', name: 'gpu-node-7' };
    event.heal.targetKey = 'Node//gpu-node-7';
    const [body] = pagerDutyEvents(event, key);
    expect(pagerDutyErrors(body)).toEqual([]);
    expect(body!.payload).not.toHaveProperty('group');
  });
});

describe('PagerDuty events from hostile or oversized input', () => {
  it('keeps non-http links out: an alert decides its own generatorURL', () => {
    const event = escalated();
    event.alert = {
      ...event.alert!,
      generatorURL: 'javascript:alert(document.cookie)',
      alertmanagerURL: 'data:text/html,<script>x</script>',
    };
    const [body] = pagerDutyEvents(event, key);
    expect(body!.links!.map((l) => l.href)).toEqual([
      'https://salve.example/#/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      'https://salve.example/v1/heals/heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      'https://tempo.example/trace/4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
  });

  it('clips the summary to 1024 characters, however long the alert name and the reason', () => {
    const event = escalated();
    event.alert = { ...event.alert!, alertname: 'A'.repeat(5_000) };
    event.escalation = { why: 'why '.repeat(2_000), tried: [{ step: 1, action: 'k8s.restart' }] };
    const [body] = pagerDutyEvents(event, key);
    expect(body!.payload!.summary).toHaveLength(pagerDutyLimits.summary);
    expect(body!.payload!.summary.endsWith('…')).toBe(true);
    expect(pagerDutyErrors(body)).toEqual([]);
  });

  it('leaves the oldest timeline entries out until the event fits 512 KB, and says so', () => {
    const event = escalated();
    event.timeline = Array.from({ length: 2_000 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 10, 27, 3, 0, i)).toISOString(),
      type: 'action.retry',
      outcome: 'retry',
      detail: `attempt ${i}: ${'x'.repeat(1_000)}`,
    }));
    const [body] = pagerDutyEvents(event, key);
    const size = Buffer.byteLength(JSON.stringify(body));
    expect(size).toBeLessThanOrEqual(pagerDutyLimits.eventBytes);
    expect(pagerDutyErrors(body)).toEqual([]);
    const lines = body!.payload!.custom_details.timeline as string[];
    expect(lines[0]).toMatch(/^\(\d+ earlier entries left out/);
    expect(lines.at(-1)).toContain('attempt 1999');
    // Each line is clipped too: one enormous detail cannot crowd out the rest.
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(2_000);
  });

  it('replaces the details with a note when even an empty timeline does not fit', () => {
    const event = escalated();
    event.heal.steps = Array.from({ length: 10 }, () => ({ action: 'k8s.restart' }));
    event.escalation = {
      why: 'x',
      tried: Array.from({ length: 60_000 }, (_, i) => ({ step: i + 1, action: 'k8s.restart' })),
    };
    const [body] = pagerDutyEvents(event, key);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(pagerDutyLimits.eventBytes);
    expect(body!.payload!.custom_details).toEqual({
      heal: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      target: 'Deployment/ml-prod/fraud-scorer',
      note: "details left out: the event exceeded PagerDuty's 512000 bytes",
    });
  });

  it('hashes a heal id too long for a 255-character dedup_key', () => {
    expect(dedupKeyOf('heal_1')).toBe('salve/heal_1');
    const long = dedupKeyOf('h'.repeat(300));
    expect(long).toMatch(/^salve\/sha256:[0-9a-f]{64}$/);
    expect(dedupKeyOf('h'.repeat(300))).toBe(long);
  });
});

describe('routing keys and PagerDuty refusals', () => {
  it('names what is wrong with a routing key without quoting it', () => {
    expect(routingKeyProblem(key)).toBeNull();
    expect(routingKeyProblem('short-secret')).toBe(
      'is 12 characters long; an Events API v2 integration key has 32',
    );
    expect(routingKeyProblem(`${'a'.repeat(31)} `)).toBe(
      'holds spaces or characters outside printable ASCII',
    );
  });

  it("records PagerDuty's own errors, clipped, without the routing key", () => {
    const explain = explainPagerDuty(key);
    const body = JSON.stringify({
      status: 'invalid event',
      message: 'Event object is invalid',
      errors: [`Length of 'routing_key' is incorrect (got ${key})`, 'x'.repeat(1_000)],
    });
    const text = explain(400, body);
    expect(text).toMatch(/^HTTP 400 invalid event: Event object is invalid: Length of 'routing_key'/);
    expect(text).not.toContain(key);
    expect(text).toContain('[redacted]');
    expect(text.length).toBeLessThanOrEqual(320);
    // Not PagerDuty's words (a proxy's page, an echo of the event): only the status is recorded.
    expect(explain(502, '<html>bad gateway</html>')).toBe('HTTP 502');
    expect(explain(500, key)).toBe('HTTP 500');
    expect(explain(400, JSON.stringify({ status: 400 }))).toBe('HTTP 400');
  });
});
