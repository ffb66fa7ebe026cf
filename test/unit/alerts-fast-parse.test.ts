import { describe, expect, it } from 'vitest';
import { fastWebhookPayload } from '../../src/alerts/fast-parse.js';
import { webhookPayloadSchema } from '../../src/alerts/schema.js';
import { jsonBodyProblem } from '../../src/well-formed.js';
import {
  alertmanagerFixture,
  alertmanagerFixtureNames,
  kubePrometheusFixtures,
  payload,
} from '../support/fixtures.js';

type Body = Record<string, unknown> & { alerts: Array<Record<string, unknown>> };

/** The compiled path may only answer what zod answers; when it does not answer, zod decides. */
function expectSameAnswer(body: unknown): { fast: boolean; valid: boolean } {
  const fast = fastWebhookPayload(structuredClone(body));
  const zod = webhookPayloadSchema.safeParse(structuredClone(body));
  if (fast !== null) {
    expect(zod.success).toBe(true);
    expect(fast).toEqual(zod.data);
  }
  return { fast: fast !== null, valid: zod.success };
}

const base = (): Body => payload([{ labels: { alertname: 'X', deployment: 'scorer' } }]) as Body;
const withAlert = (patch: Record<string, unknown>): Body => {
  const body = base();
  body.alerts[0] = { ...body.alerts[0], ...patch };
  return body;
};
const without = (body: Record<string, unknown>, key: string) => {
  const { [key]: _, ...rest } = body;
  return rest;
};

describe('the webhook payload through the compiled validator', () => {
  const captured = [
    ...alertmanagerFixtureNames().map((name) => [name, alertmanagerFixture(name)] as const),
    ...kubePrometheusFixtures('kube-prometheus-stack').map((f) => [f.name, f.payload] as const),
  ];

  it.each(captured)('takes the fast path with zod’s answer for the captured payload %s', (_, body) => {
    expect(expectSameAnswer(body)).toEqual({ fast: true, valid: true });
  });

  const good: Array<[string, unknown]> = [
    ['only the required fields', { status: 'firing', alerts: [] }],
    ['an alert without optional fields', withAlert({ annotations: undefined, generatorURL: undefined })],
    ['an alert without endsAt', { ...base(), alerts: [without(base().alerts[0]!, 'endsAt')] }],
    ['fields newer Alertmanagers add', { ...base(), notification_reason: 'new', routeLabels: { a: 'b' } }],
    ['an alert with an unknown field', withAlert({ silencedBy: ['x'] })],
    ['a numeric offset', withAlert({ startsAt: '2026-11-27T01:45:52.027+01:00' })],
    ['nanoseconds', withAlert({ startsAt: '2026-11-27T00:45:52.027123456Z' })],
    ['a fingerprint of 128 units', withAlert({ fingerprint: 'f'.repeat(128) })],
    ['non-ASCII labels', withAlert({ labels: { alertname: 'Ünïcode ✓', ключ: 'значение' } })],
    ['a label named constructor', withAlert({ labels: { constructor: 'x', toString: 'y' } })],
  ];
  it.each(good)('agrees with zod on a valid payload: %s', (_, body) => {
    expect(expectSameAnswer(JSON.parse(JSON.stringify(body)))).toMatchObject({ valid: true });
  });

  const bad: Array<[string, unknown]> = [
    ['not an object', 'alerts'],
    ['null', null],
    ['an array', [base()]],
    ['no status', without(base(), 'status')],
    ['no alerts', without(base(), 'alerts')],
    ['a wrong status', { ...base(), status: 'burning' }],
    ['alerts not an array', { ...base(), alerts: {} }],
    ['too many alerts', { ...base(), alerts: Array.from({ length: 10_001 }, () => base().alerts[0]) }],
    ['truncatedAlerts negative', { ...base(), truncatedAlerts: -1 }],
    ['truncatedAlerts a fraction', { ...base(), truncatedAlerts: 1.5 }],
    ['truncatedAlerts a string', { ...base(), truncatedAlerts: '1' }],
    ['truncatedAlerts beyond safe integers', { ...base(), truncatedAlerts: 2 ** 53 }],
    ['receiver a number', { ...base(), receiver: 7 }],
    ['groupLabels with a number', { ...base(), groupLabels: { a: 1 } }],
    ['an alert with a wrong status', withAlert({ status: 'pending' })],
    ['an alert without labels', { ...base(), alerts: [without(base().alerts[0]!, 'labels')] }],
    ['a label value that is a number', withAlert({ labels: { alertname: 1 } })],
    ['startsAt missing', { ...base(), alerts: [without(base().alerts[0]!, 'startsAt')] }],
    ['startsAt not RFC 3339', withAlert({ startsAt: 'yesterday' })],
    ['startsAt without a zone', withAlert({ startsAt: '2026-11-27T00:45:52' })],
    ['startsAt in lower case', withAlert({ startsAt: '2026-11-27t00:45:52z' })],
    ['startsAt month 13', withAlert({ startsAt: '2026-13-27T00:45:52Z' })],
    ['endsAt hour 25', withAlert({ endsAt: '2026-11-27T25:45:52Z' })],
    ['startsAt 30 February (a Date rolls it over to March)', withAlert({ startsAt: '2026-02-30T00:45:52Z' })],
    ['startsAt 31 April with an offset', withAlert({ startsAt: '2026-04-31T00:45:52+02:00' })],
    ['endsAt hour 24 (a Date rolls it over to the next day)', withAlert({ endsAt: '2026-11-27T24:00:00Z' })],
    ['startsAt with an offset of 24 hours', withAlert({ startsAt: '2026-11-27T00:45:52+24:00' })],
    ['endsAt null', withAlert({ endsAt: null })],
    ['an empty fingerprint', withAlert({ fingerprint: '' })],
    ['a fingerprint of 129 units', withAlert({ fingerprint: 'f'.repeat(129) })],
    ['a fingerprint of 65 emoji (130 units)', withAlert({ fingerprint: '😀'.repeat(65) })],
    ['generatorURL a number', withAlert({ generatorURL: 5 })],
  ];
  it.each(bad)('agrees with zod on an invalid payload: %s', (_, body) => {
    expectSameAnswer(body);
  });

  // Refused before any route runs, by the app's JSON parser (jsonBodyProblem), so never given to the validator:
  // test/integration/webhook-refused-text.test.ts holds the webhook to it, on every path.
  const refusedByTheParser: Array<[string, unknown]> = [
    ['commonLabels with NUL', { ...base(), commonLabels: { a: 'x\u0000' } }],
    ['a label value with NUL', withAlert({ labels: { alertname: 'a\u0000b' } })],
    ['a label name with NUL', withAlert({ labels: { 'a\u0000': 'b' } })],
    ['an annotation with NUL', withAlert({ annotations: { summary: '\u0000' } })],
    ['a label named __proto__', JSON.parse(JSON.stringify(base()).replace('"alertname"', '"__proto__"'))],
  ];
  it.each(refusedByTheParser)('leaves to the JSON parser, which refuses it, a payload with %s', (_, body) => {
    expect(jsonBodyProblem(body)).not.toBeNull();
  });

  it('never takes the fast path for a payload zod refuses', () => {
    for (const [, body] of bad) {
      const answer = expectSameAnswer(body);
      if (!answer.valid) expect(answer.fast).toBe(false);
    }
  });
});
