import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SalveError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertmanagerFixtureBody, alertmanagerFixtureNames, payload } from '../support/fixtures.js';

const scorer = (pod: string, extra: Record<string, string> = {}) => ({
  labels: {
    alertname: 'ModelServingErrorRate',
    severity: 'critical',
    namespace: 'ml-prod',
    deployment: 'fraud-scorer',
    pod,
    ...extra,
  },
});

describe('POST /v1/alertmanager', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it.each(alertmanagerFixtureNames())(
    'acknowledges the captured payload %s with 202 after committing it',
    async (name) => {
      const res = await t.deliver(alertmanagerFixtureBody(name));
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ status: 'accepted', alerts: { received: expect.any(Number) } });
      const stored = await t.deps.store.listAlerts({ limit: 100 });
      expect(stored.length).toBe(res.json().alerts.new);
    },
  );

  it('re-delivery of the same firing alert opens no second heal', async () => {
    const body = payload([scorer('a')]);
    const first = await t.deliver(body);
    expect(first.json()).toMatchObject({ alerts: { new: 1, deduplicated: 0 } });
    expect(first.json().heals.opened).toHaveLength(1);
    const second = await t.deliver(body);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toMatchObject({
      alerts: { new: 0, deduplicated: 1 },
      heals: { opened: [], attached: [] },
    });
    expect(await t.deps.store.listHeals({ limit: 10 })).toHaveLength(1);
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/^salve_alerts_deduplicated_total 1$/m);
  });

  it('a whole group re-sent with one alert resolved opens no second heal and marks that alert resolved', async () => {
    const firing = payload([scorer('a'), scorer('b')]);
    const opened = (await t.deliver(firing)).json().heals.opened;
    expect(opened).toHaveLength(1);
    const resent = payload([{ ...scorer('a'), status: 'resolved' }, scorer('b')]);
    const res = await t.deliver(resent);
    expect(res.json()).toMatchObject({
      alerts: { received: 2, new: 1, deduplicated: 1 },
      heals: { opened: [] },
    });
    const detail = (
      await t.app.inject({ url: `/v1/heals/${opened[0].id}`, headers: t.auth('viewer') })
    ).json();
    expect(detail.alerts.map((a: { resolvedAt: string | null }) => a.resolvedAt !== null).sort()).toEqual([
      false,
      true,
    ]);
  });

  it('two alerts for the same target attach to one heal', async () => {
    const first = (await t.deliver(payload([scorer('a')]))).json();
    const second = (await t.deliver(payload([scorer('b')]))).json();
    expect(second.heals.opened).toEqual([]);
    expect(second.heals.attached.map((h: { id: string }) => h.id)).toEqual([first.heals.opened[0].id]);
    const detail = (
      await t.app.inject({ url: `/v1/heals/${first.heals.opened[0].id}`, headers: t.auth('viewer') })
    ).json();
    expect(detail.heal).toMatchObject({
      state: 'pending',
      policy: 'scorer-error-rate',
      target: { kind: 'Deployment', namespace: 'ml-prod', name: 'fraud-scorer' },
    });
    expect(detail.alerts).toHaveLength(2);
    expect(detail.timeline.map((r: { type: string }) => r.type)).toEqual([
      'heal.opened',
      'heal.alerts_attached',
    ]);
  });

  it('a missing template label records a refusal instead of a heal', async () => {
    const { deployment: _d, ...labels } = scorer('a').labels;
    const res = (await t.deliver(payload([{ labels }]))).json();
    expect(res).toMatchObject({ refused: 1, heals: { opened: [] } });
    const audit = (
      await t.app.inject({ url: '/v1/audit?type=policy.refused', headers: t.auth('viewer') })
    ).json();
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ policy: 'scorer-error-rate', outcome: 'template_missing' });
    expect(audit.records[0].data.detail).toMatch(/deployment/);
  });

  it('a namespace outside allow records a refusal and never a heal', async () => {
    const res = (await t.deliver(payload([scorer('a', { namespace: 'kube-system' })]))).json();
    expect(res).toMatchObject({ refused: 1, heals: { opened: [] } });
    const audit = (
      await t.app.inject({ url: '/v1/audit?outcome=not_allowed', headers: t.auth('viewer') })
    ).json();
    expect(audit.records[0]).toMatchObject({ type: 'policy.refused', policy: 'scorer-error-rate' });
    expect(await t.deps.store.listHeals({ limit: 10 })).toEqual([]);
  });

  it('a label that is not a valid Kubernetes name is refused', async () => {
    const res = (await t.deliver(payload([scorer('a', { deployment: '../../etc/passwd' })]))).json();
    expect(res).toMatchObject({ refused: 1, heals: { opened: [] } });
  });

  it('answers 400 SALVE_REQUEST_BAD_JSON for a body that is not JSON', async () => {
    const res = await t.deliver('{"alerts": [');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('SALVE_REQUEST_BAD_JSON');
  });

  it('answers 400 SALVE_WEBHOOK_INVALID naming the field for a wrong shape', async () => {
    const body = payload([scorer('a')]) as { alerts: Array<Record<string, unknown>> };
    body.alerts[0]!.status = 'burning';
    const res = await t.deliver(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'SALVE_WEBHOOK_INVALID' });
    expect(res.json().error.message).toMatch(/^alerts\[0\]\.status: /);
  });

  it('answers 401 for a missing or wrong token and 403 for a token without the alertmanager scope', async () => {
    const body = JSON.stringify(payload([scorer('a')]));
    const headers = { 'content-type': 'application/json' };
    const none = await t.app.inject({ method: 'POST', url: '/v1/alertmanager', headers, payload: body });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('SALVE_AUTH_MISSING');
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...headers, authorization: 'Bearer not-a-token' },
      payload: body,
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('SALVE_AUTH_INVALID');
    const viewer = await t.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...headers, ...t.auth('viewer') },
      payload: body,
    });
    expect(viewer.statusCode).toBe(403);
    expect(await t.deps.store.listAlerts({ limit: 10 })).toEqual([]);
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/salve_webhook_requests_total\{outcome="unauthorized"\} 3/);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const big = payload([{ ...scorer('a'), annotations: { blob: 'x'.repeat(1024 * 1024) } }]);
    const res = await t.deliver(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('SALVE_REQUEST_TOO_LARGE');
  });

  it('answers 415 for a body that is not JSON by content type', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...t.auth('alertmanager'), 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('SALVE_REQUEST_UNSUPPORTED_MEDIA');
  });
});

describe('POST /v1/alertmanager when the store cannot commit', () => {
  it('answers 503 so that Alertmanager retries, and says nothing was committed', async () => {
    const clock = fakeClock();
    const real = openSqliteStore({ file: ':memory:', clock });
    const failing: Store = {
      ...real,
      ingest: async () => {
        throw new SalveError('SALVE_STORE_UNAVAILABLE', 'the store could not commit', { retryable: true });
      },
    };
    const t = await buildTestApp({ overrides: { store: failing, clock } });
    try {
      const res = await t.deliver(payload([scorer('a')]));
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('SALVE_STORE_UNAVAILABLE');
      const metrics = await t.app.inject({ url: '/metrics' });
      expect(metrics.body).toMatch(/salve_webhook_requests_total\{outcome="error"\} 1/);
    } finally {
      await t.close();
    }
  });
});
