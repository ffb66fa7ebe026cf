import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy, type TestApp, testTokens } from '../support/build-test-app.js';
import { payload } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

const alert = (deployment: string) => ({
  labels: { alertname: 'ModelServingErrorRate', severity: 'critical', namespace: 'ml-prod', deployment },
});

describe('read API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('a bad policy reload keeps the last good table, and says so in /v1/policies, the metrics and /readyz', async () => {
    t.deps.policies.watch();
    const file = path.join(t.policiesDir, 'serving.yaml');
    fs.writeFileSync(file, servingPolicy.replace('action: k8s.rollback', 'action: k8s.nope'));
    const body = await waitFor(
      'the bad reload to show',
      async () => (await t.app.inject({ url: '/v1/policies', headers: t.auth('viewer') })).json(),
      (b) => b.ok === false,
    );
    expect(body.policies.map((p: { name: string }) => p.name)).toEqual(['scorer-error-rate']);
    expect(body.problems[0]).toMatchObject({ path: 'policies[0].steps[1].action' });
    expect(body.problems[0].file).toMatch(/serving\.yaml$/);
    // The old table still acts.
    const res = (await t.deliver(payload([alert('fraud-scorer')]))).json();
    expect(res.heals.opened).toHaveLength(1);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^salve_policy_reload_errors_total 1$/m);
    expect(metrics).toMatch(/^salve_policy_last_reload_successful 0$/m);
    const ready = (await t.app.inject({ url: '/readyz' })).json();
    expect(ready.warnings.join(' ')).toMatch(/policy reload failed/);

    fs.writeFileSync(file, servingPolicy.replace('name: scorer-error-rate', 'name: scorer-errors'));
    const fixed = await waitFor(
      'the fixed reload to show',
      async () => (await t.app.inject({ url: '/v1/policies', headers: t.auth('viewer') })).json(),
      (b) => b.ok === true,
    );
    expect(fixed.policies.map((p: { name: string }) => p.name)).toEqual(['scorer-errors']);
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(
      /^salve_policy_last_reload_successful 1$/m,
    );
  });

  it('POST /v1/policies/test says what would happen and records nothing', async () => {
    await t.deliver(payload([alert('already-open')]));
    const before = await t.deps.store.verifyAudit();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/policies/test',
      headers: t.auth('viewer'),
      payload: payload([alert('fraud-scorer'), alert('already-open'), { labels: { alertname: 'Other' } }]),
    });
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.alerts[0].outcomes[0]).toMatchObject({
      decision: 'open',
      target: 'Deployment/ml-prod/fraud-scorer',
    });
    expect(out.alerts[1].outcomes[0]).toMatchObject({
      decision: 'attach',
      openHeal: expect.stringMatching(/^heal_/),
    });
    expect(out.alerts[2]).toMatchObject({ matched: 0 });
    expect(await t.deps.store.verifyAudit()).toEqual(before);
  });

  it('audit verify over HTTP names the first tampered record', async () => {
    await t.deliver(payload([alert('a'), alert('b')]));
    const ok = (await t.app.inject({ url: '/v1/audit/verify', headers: t.auth('viewer') })).json();
    expect(ok).toMatchObject({ ok: true, records: 4 });
    await t.close();
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const db = new BetterSqlite3(path.join(t.dir, 'salve.db'));
    db.prepare(`UPDATE audit SET target = 'Deployment/ml-prod/c' WHERE seq = 2`).run();
    db.close();
    t = await buildTestApp({ dir: t.dir });
    const broken = (await t.app.inject({ url: '/v1/audit/verify', headers: t.auth('viewer') })).json();
    expect(broken).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('pages through the audit log with a cursor and filters by heal', async () => {
    const opened = (await t.deliver(payload([alert('a'), alert('b'), alert('c')]))).json().heals.opened;
    const page1 = (await t.app.inject({ url: '/v1/audit?limit=2', headers: t.auth('viewer') })).json();
    expect(page1.records.map((r: { seq: number }) => r.seq)).toEqual([1, 2]);
    const page2 = (
      await t.app.inject({ url: `/v1/audit?limit=2&cursor=${page1.nextCursor}`, headers: t.auth('viewer') })
    ).json();
    expect(page2.records.map((r: { seq: number }) => r.seq)).toEqual([3, 4]);
    const byHeal = (
      await t.app.inject({ url: `/v1/audit?heal=${opened[1].id}`, headers: t.auth('viewer') })
    ).json();
    expect(byHeal.records.map((r: { type: string }) => r.type)).toEqual(['heal.opened']);
    const bad = await t.app.inject({ url: '/v1/audit?since=yesterday', headers: t.auth('viewer') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^since: /);
  });

  it('answers 404 with a code for an unknown heal and an unknown route', async () => {
    const heal = await t.app.inject({ url: '/v1/heals/heal_nope', headers: t.auth('viewer') });
    expect(heal.statusCode).toBe(404);
    expect(heal.json().error.code).toBe('SALVE_HEAL_NOT_FOUND');
    const route = await t.app.inject({ url: '/v1/nothing' });
    expect(route.json().error.code).toBe('SALVE_ROUTE_NOT_FOUND');
  });

  it('exposes the salve_ metrics and the process metrics', async () => {
    await t.deliver(payload([alert('a')]));
    const body = (await t.app.inject({ url: '/metrics' })).body;
    for (const name of [
      'salve_webhook_requests_total',
      'salve_alerts_received_total',
      'salve_alerts_deduplicated_total',
      'salve_heals_opened_total',
      'salve_open_heals',
      'salve_policies_loaded',
      'salve_webhook_ack_seconds_bucket',
      'salve_process_resident_memory_bytes',
    ]) {
      expect(body).toContain(name);
    }
    expect(body).toMatch(/^salve_open_heals\{state="pending"\} 1$/m);
    expect(body).toMatch(/^salve_open_heals\{state="awaiting_approval"\} 0$/m);
    expect(body).toMatch(/^salve_notifications_pending 0$/m);
    expect(body).toMatch(/^salve_policy_last_reload_successful 1$/m);
  });

  it('describes the action registry', async () => {
    const res = (await t.app.inject({ url: '/v1/actions', headers: t.auth('viewer') })).json();
    const restart = res.actions.find((a: { kind: string }) => a.kind === 'k8s.restart');
    expect(restart).toMatchObject({
      targetKinds: expect.arrayContaining(['Deployment']),
      example: expect.any(Object),
    });
    expect(restart.rbac.length).toBeGreaterThan(0);
  });

  it('serves its OpenAPI document with every route', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const route of [
      '/v1/alertmanager',
      '/v1/heals',
      '/v1/heals/{id}',
      '/v1/heals/{id}/approve',
      '/v1/heals/{id}/reject',
      '/v1/audit',
      '/v1/audit/verify',
      '/v1/policies',
      '/v1/policies/test',
      '/v1/actions',
      '/v1/pause',
      '/v1/breaker/reset',
      '/v1/alerts',
    ]) {
      expect(Object.keys(doc.paths)).toContain(route);
    }
  });

  it('never writes a token into its logs', async () => {
    await t.deliver(payload([alert('a')]));
    await t.app.inject({ url: '/v1/heals', headers: { authorization: 'Bearer wrong-token-abcdefghijkl' } });
    const text = t.logs.text();
    expect(text).not.toContain(testTokens.alertmanager);
    expect(text).not.toContain('wrong-token-abcdefghijkl');
  });
});

describe('running open', () => {
  it('--insecure-no-auth accepts requests without a token and warns in /readyz', async () => {
    const t = await buildTestApp({ env: { SALVE_INSECURE_NO_AUTH: 'true' } });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        payload: payload([alert('a')]),
      });
      expect(res.statusCode).toBe(202);
      const ready = (await t.app.inject({ url: '/readyz' })).json();
      expect(ready.checks.auth).toBe('disabled');
      expect(ready.warnings.join(' ')).toMatch(/authentication is disabled/);
    } finally {
      await t.close();
    }
  });
});

describe('readiness warnings', () => {
  it('warns when a policy notifies a notifier that is not configured', async () => {
    const t = await buildTestApp({
      policies: { 'serving.yaml': `${servingPolicy}    notify: [slack-nowhere]\n` },
    });
    try {
      const ready = (await t.app.inject({ url: '/readyz' })).json();
      expect(ready.warnings.join(' ')).toMatch(
        /policy scorer-error-rate notifies "slack-nowhere", which is not configured/,
      );
    } finally {
      await t.close();
    }
  });
});
