import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';

const labelName = fc.constantFrom(
  'alertname',
  'severity',
  'namespace',
  'deployment',
  'pod',
  'model',
  'x',
  '',
);
const labelValue = fc.oneof(
  fc.constantFrom(
    'ModelServingErrorRate',
    'critical',
    'page',
    'ml-prod',
    'kube-system',
    'fraud-scorer',
    '{{ labels.x }}',
    '../x',
    '',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const labels = fc.dictionary(labelName, labelValue, { maxKeys: 6 });
const time = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '0001-01-01T00:00:00Z',
    '2026-11-27T00:48:10.13Z',
    '2026-11-27T02:48:10.1+02:00',
    'nonsense',
    '',
  ),
);
const alert = fc.record(
  {
    status: fc.constantFrom('firing', 'resolved', 'bogus'),
    labels,
    annotations: labels,
    startsAt: time,
    endsAt: time,
    generatorURL: fc.string({ maxLength: 20 }),
    fingerprint: fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 16, maxLength: 16 }),
      fc.string({ maxLength: 20 }),
    ),
  },
  { requiredKeys: [] },
);
const wellShaped = fc.record(
  {
    version: fc.constant('4'),
    status: fc.constantFrom('firing', 'resolved'),
    receiver: fc.string({ maxLength: 20 }),
    groupKey: fc.string({ maxLength: 30 }),
    truncatedAlerts: fc.oneof(fc.nat(5), fc.integer({ min: -3, max: -1 }), fc.double()),
    alerts: fc.array(alert, { maxLength: 8 }),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: fc.string({ maxLength: 20 }),
  },
  { requiredKeys: ['status', 'alerts'] },
);
const body = fc.oneof(
  { weight: 4, arbitrary: wellShaped.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

describe('webhook robustness', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('thousands of random payloads never produce a 5xx, and every error names a code', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const res = await t.deliver(text);
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode !== 202) expect(res.json().error.code).toMatch(/^SALVE_[A-Z_]+$/);
      }),
      { numRuns: 2000 },
    );
    const health = await t.app.inject({ url: '/readyz' });
    expect(health.statusCode).toBe(200);
    expect(await t.deps.store.verifyAudit()).toMatchObject({ ok: true });
  }, 90_000); // 2000 deliveries, each committed: CPU-bound, and the machine is shared
});
