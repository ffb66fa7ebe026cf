import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { consoleCsp } from '../../src/http/routes/console-page.js';
import type { ConsoleBuild } from '../../web/build.js';
import { buildTestConsoleDetails } from '../browser/support/console-harness.js';
import { buildTestApp, servingPolicy, type TestApp, type testTokens } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { payload } from '../support/fixtures.js';

const approval = `${servingPolicy}    guards: { cooldown: 0s, approval: true }\n`;

/** Every response of these tests: none may set a cookie or open CORS. */
const seen: LightMyRequestResponse[] = [];
function track(res: LightMyRequestResponse): LightMyRequestResponse {
  seen.push(res);
  return res;
}

afterAll(() => {
  expect(seen.length).toBeGreaterThan(20);
  for (const res of seen) {
    expect(res.headers['set-cookie'], `${res.statusCode} ${res.body.slice(0, 80)}`).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  }
});

describe('GET / serves the console', () => {
  let built: ConsoleBuild;
  let consoleDir: string;
  let t: TestApp;
  beforeAll(async () => {
    built = await buildTestConsoleDetails();
    consoleDir = built.outDir;
    t = await buildTestApp({ overrides: { consoleDir } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the page with a strict policy and the headers a careful page sets', async () => {
    const res = track(await t.app.inject({ url: '/' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toBe(consoleCsp);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "require-trusted-types-for 'script'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    // No inline script or style, and nothing from another origin.
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.body).not.toMatch(/<style|style=/);
    expect(res.body).not.toMatch(/(src|href)="(?!\/console\/)/);
  });

  it('serves the content-hashed assets it names, for a year, with the same headers', async () => {
    const page = track(await t.app.inject({ url: '/' })).body;
    const names = [...page.matchAll(/"\/console\/([^"]+)"/g)].map((m) => m[1]!);
    expect(names.map((n) => path.extname(n)).sort()).toEqual(['.css', '.js', '.svg']);
    for (const name of names) {
      const res = track(await t.app.inject({ url: `/console/${name}` }));
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toBe(consoleCsp);
      expect(String(res.headers['content-type'])).toMatch(
        name.endsWith('.js') ? /^text\/javascript/ : name.endsWith('.css') ? /^text\/css/ : /^image\/svg/,
      );
    }
    const missing = track(await t.app.inject({ url: '/console/app-OLDHASH.js' }));
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^text\/plain/);
    const traversal = track(await t.app.inject({ url: '/console/..%2F..%2Fpackage.json' }));
    expect(traversal.statusCode).toBe(404);
  });

  it('loads nothing from outside salve: the bundle names no other origin', () => {
    const dir = path.join(consoleDir, 'assets');
    for (const file of fs.readdirSync(dir)) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      // XML namespaces are names, not requests.
      const urls = [...text.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
      expect(
        urls.filter((u) => !u.startsWith('http://www.w3.org/')),
        file,
      ).toEqual([]);
      if (file.endsWith('.css')) expect(text).not.toMatch(/@import|url\(/);
    }
  });

  it('bundles the page, Preact and the shared domain constants, never server code', () => {
    // The domain layer imports nothing (test/unit/architecture-imports.test.ts): the browser may share it.
    const outside = built.inputs.filter(
      (f) =>
        !f.startsWith('web/src/') && !f.startsWith('node_modules/preact/') && !f.startsWith('src/domain/'),
    );
    expect(outside).toEqual([]);
    // Small enough to load at once on a phone over a VPN at 3 a.m.
    expect(built.bytes).toBeLessThan(120_000);
  });

  it('stays out of the API documentation', async () => {
    const doc = track(await t.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths)).not.toContain('/console/{file}');
  });
});

describe('a salve without a built console', () => {
  it('says how to build it instead of failing obscurely', async () => {
    const t = await buildTestApp({
      overrides: { consoleDir: path.join(os.tmpdir(), 'salve-no-console-here') },
    });
    try {
      const res = track(await t.app.inject({ url: '/' }));
      expect(res.statusCode).toBe(503);
      expect(res.body).toMatch(/npm run build/);
      expect(res.headers['content-security-policy']).toBe(consoleCsp);
    } finally {
      await t.close();
    }
  });
});

describe('the reads the console needs', () => {
  let current: EngineHarness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  const harness = async (options?: Parameters<typeof startEngineHarness>[0]) => {
    current = await startEngineHarness(options);
    return current;
  };

  it('GET /v1/whoami names the token and its scopes, and nothing without a valid one', async () => {
    const h = await harness();
    const who = (scope: keyof typeof testTokens) =>
      h.app.inject({ url: '/v1/whoami', headers: h.auth(scope) }).then(track);
    expect((await who('operator')).json()).toEqual({ name: 'operator', scopes: ['operator'], open: false });
    expect((await who('viewer')).json()).toEqual({ name: 'viewer', scopes: ['viewer'], open: false });
    const am = await who('alertmanager');
    expect(am.statusCode).toBe(403);
    expect(am.json().error.message).toMatch(/lacks the "viewer" scope/);
    expect(track(await h.app.inject({ url: '/v1/whoami' })).statusCode).toBe(401);
    const wrong = track(
      await h.app.inject({ url: '/v1/whoami', headers: { authorization: 'Bearer not-a-token-at-all' } }),
    );
    expect(wrong.statusCode).toBe(401);
  });

  it('GET /v1/whoami with authentication off: anonymous, every scope, and says so', async () => {
    const t = await buildTestApp({ env: { SALVE_INSECURE_NO_AUTH: 'true' } });
    try {
      expect(track(await t.app.inject({ url: '/v1/whoami' })).json()).toEqual({
        name: 'anonymous',
        scopes: ['alertmanager', 'operator', 'viewer'],
        open: true,
      });
    } finally {
      await t.close();
    }
  });

  it('GET /v1/heals/:id/alerts returns the attached alerts with their labels and annotations', async () => {
    const h = await harness();
    const labels = {
      alertname: 'ModelServingErrorRate',
      severity: 'critical',
      namespace: 'ml-prod',
      deployment: 'fraud-scorer',
    };
    const res = await h.deliver(
      payload([
        {
          labels: { ...labels, pod: 'a' },
          annotations: { summary: '<b>error rate</b> 12%', runbook_url: 'javascript:alert(1)' },
          startsAt: '2026-11-27T02:59:00.000Z',
        },
        { labels: { ...labels, pod: 'b' }, startsAt: '2026-11-27T02:59:30.000Z' },
      ]),
    );
    const healId = res.json().heals.opened[0].id;
    await h.deliver(
      payload([
        { labels: { ...labels, pod: 'b' }, status: 'resolved', startsAt: '2026-11-27T02:59:30.000Z' },
      ]),
    );
    const got = track(await h.app.inject({ url: `/v1/heals/${healId}/alerts`, headers: h.auth('viewer') }));
    expect(got.statusCode).toBe(200);
    const body = got.json();
    expect(body.more).toBe(0);
    const byPod = Object.fromEntries(
      body.alerts.map((a: { labels: { pod: string } }) => [a.labels.pod, a]),
    ) as Record<string, Record<string, unknown>>;
    expect(byPod.a).toMatchObject({
      alertname: 'ModelServingErrorRate',
      labels: { ...labels, pod: 'a' },
      annotations: { summary: '<b>error rate</b> 12%', runbook_url: 'javascript:alert(1)' },
      resolvedAt: null,
      generatorURL: 'http://prometheus.example:9090/graph',
    });
    // The resolution marks the attachment; the text is the firing alert's.
    expect(byPod.b).toMatchObject({ labels: { ...labels, pod: 'b' }, resolvedAt: expect.any(String) });

    expect(track(await h.app.inject({ url: `/v1/heals/${healId}/alerts` })).statusCode).toBe(401);
    const unknown = track(
      await h.app.inject({ url: '/v1/heals/heal_nope/alerts', headers: h.auth('viewer') }),
    );
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('SALVE_HEAL_NOT_FOUND');
  });

  it('GET /v1/heals/:id/alerts describes at most 200 alerts and counts the rest', async () => {
    const h = await harness();
    const alerts = Array.from({ length: 203 }, (_, i) => ({
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment: 'fraud-scorer',
        pod: `pod-${i}`,
      },
    }));
    const healId = (await h.deliver(payload(alerts))).json().heals.opened[0].id;
    const body = track(
      await h.app.inject({ url: `/v1/heals/${healId}/alerts`, headers: h.auth('viewer') }),
    ).json();
    expect(body.alerts).toHaveLength(200);
    expect(body.more).toBe(3);
    expect(
      body.alerts.every((a: { labels: Record<string, string> }) => a.labels.pod?.startsWith('pod-')),
    ).toBe(true);
  });

  it("GET /v1/heals/:id/alerts shows each attachment its own start's text, however often its alert flapped", async () => {
    // Alertmanager's fingerprint is the label set's: an alert that fires again is the same fingerprint at a new
    // start. Each attachment is read by its exact start (one index lookup), so the 1,001st start of one alert
    // is described by its own row, not by another start's (the page used to read 1,000 per fingerprint).
    const h = await harness();
    const labels = {
      alertname: 'ModelServingErrorRate',
      severity: 'critical',
      namespace: 'ml-prod',
      deployment: 'fraud-scorer',
    };
    const starts = Array.from({ length: 1001 }, (_, i) =>
      new Date(Date.UTC(2026, 10, 27, 0, 0, i)).toISOString(),
    );
    const fire = (from: number, to: number) =>
      h.deliver(
        payload(
          starts
            .slice(from, to)
            .map((startsAt, i) => ({ labels, startsAt, annotations: { summary: `flap ${from + i}` } })),
        ),
      );
    const healId = (await fire(0, 1000)).json().heals.opened[0].id;
    // The 1,001st start joins the heal a second later: the page shows it first.
    await h.clock.advance(1000);
    expect((await fire(1000, 1001)).json().heals.attached).toHaveLength(1);
    // Every start resolved too: the firing row's text is shown, not the resolution's.
    await h.deliver(
      payload(
        starts.map((startsAt) => ({
          labels,
          startsAt,
          status: 'resolved',
          annotations: { summary: 'resolved' },
        })),
      ),
    );
    const body = track(
      await h.app.inject({ url: `/v1/heals/${healId}/alerts`, headers: h.auth('viewer') }),
    ).json() as { alerts: Array<{ startsAt: string; annotations: { summary: string } }>; more: number };
    expect(body.alerts).toHaveLength(200);
    expect(body.more).toBe(801);
    for (const a of body.alerts) expect(a.annotations.summary).toBe(`flap ${starts.indexOf(a.startsAt)}`);
    expect(body.alerts[0]).toMatchObject({ startsAt: starts[1000], annotations: { summary: 'flap 1000' } });
  });

  it('GET /v1/heals?state=open lists every heal still in progress, newest first, with a cursor', async () => {
    const h = await harness({
      policies: { 'p.yaml': approval },
      deployments: ['a', 'b', 'c', 'd'],
    });
    const ids: string[] = [];
    for (const d of ['a', 'b', 'c', 'd']) {
      ids.push(...(await h.fire(d)).opened);
      await h.clock.advance(1_000);
    }
    await h.run();
    // One waits for approval, one is closed (rejected), the others are pending (not yet run) or waiting.
    track(
      await h.app.inject({ method: 'POST', url: `/v1/heals/${ids[1]}/reject`, headers: h.auth('operator') }),
    );
    const list = async (query: string) =>
      track(await h.app.inject({ url: `/v1/heals?${query}`, headers: h.auth('viewer') })).json();
    const open = await list('state=open');
    expect(open.heals.map((x: { id: string }) => x.id)).toEqual([ids[3], ids[2], ids[0]]);
    const first = await list('state=open&limit=2');
    expect(first.heals.map((x: { id: string }) => x.id)).toEqual([ids[3], ids[2]]);
    const second = await list(`state=open&limit=2&cursor=${first.nextCursor}`);
    expect(second.heals.map((x: { id: string }) => x.id)).toEqual([ids[0]]);
    expect((await list('state=cancelled')).heals.map((x: { id: string }) => x.id)).toEqual([ids[1]]);
    const bad = track(await h.app.inject({ url: '/v1/heals?state=opened', headers: h.auth('viewer') }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^state: /);
  });

  it('GET /v1/audit?order=desc reads newest first and pages toward older records', async () => {
    const h = await harness();
    await h.fire('fraud-scorer');
    await h.run();
    const read = async (query: string) =>
      track(await h.app.inject({ url: `/v1/audit?${query}`, headers: h.auth('viewer') })).json();
    const all = (await read('limit=1000')).records.map((r: { seq: number }) => r.seq);
    expect(all.length).toBeGreaterThan(4);
    const newest = await read('order=desc&limit=3');
    expect(newest.records.map((r: { seq: number }) => r.seq)).toEqual(all.slice(-3).reverse());
    const older = await read(`order=desc&limit=1000&cursor=${newest.nextCursor}`);
    expect(older.records.map((r: { seq: number }) => r.seq)).toEqual(all.slice(0, -3).reverse());
    expect(older.nextCursor).toBeNull();
    const bad = track(await h.app.inject({ url: '/v1/audit?order=up', headers: h.auth('viewer') }));
    expect(bad.statusCode).toBe(400);
  });

  it('DELETE /v1/pause keeps the reason for resuming in the audit log; without one it still resumes', async () => {
    const h = await harness();
    const op = { ...h.auth('operator'), 'content-type': 'application/json' };
    track(
      await h.app.inject({ method: 'PUT', url: '/v1/pause', headers: op, payload: { reason: 'incident' } }),
    );
    const resumed = track(
      await h.app.inject({ method: 'DELETE', url: '/v1/pause', headers: op, payload: { reason: 'over' } }),
    );
    expect(resumed.json()).toEqual({ paused: false });
    track(await h.app.inject({ method: 'PUT', url: '/v1/pause', headers: op, payload: {} }));
    const bare = track(
      await h.app.inject({ method: 'DELETE', url: '/v1/pause', headers: h.auth('operator') }),
    );
    expect(bare.statusCode).toBe(200);
    const cleared = await h.deps.store.queryAudit({ type: 'pause.cleared', limit: 10 });
    expect(cleared.map((r) => r.data)).toEqual([{ reason: 'over' }, {}]);
  });

  it('documents the new reads and query parameters in OpenAPI', async () => {
    const h = await harness();
    const doc = track(await h.app.inject({ url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/whoami', '/v1/heals/{id}/alerts']));
    const params = (p: string) =>
      Object.fromEntries(
        (doc.paths[p].get.parameters as Array<{ name: string; schema: unknown }>).map((x) => [
          x.name,
          x.schema,
        ]),
      );
    expect(params('/v1/heals').state).toMatchObject({ enum: expect.arrayContaining(['open', 'pending']) });
    expect(params('/v1/audit').order).toMatchObject({ enum: ['asc', 'desc'] });
  });
});

describe('no cross-site request can act', () => {
  let h: EngineHarness;
  let healId: string;
  beforeAll(async () => {
    h = await startEngineHarness({ policies: { 'p.yaml': approval } });
    healId = (await h.fire('fraud-scorer')).opened[0]!;
    await h.run();
  });
  afterAll(async () => {
    await h.close();
  });
  const state = async () => (await h.heal(healId)).state;

  it('a form posted from another site carries no credentials and is refused', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
    ]) {
      const res = track(
        await h.app.inject({
          method: 'POST',
          url: `/v1/heals/${healId}/approve`,
          headers: { 'content-type': type, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          payload: '',
        }),
      );
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('SALVE_REQUEST_CROSS_SITE');
    }
    // Without the browser's header (an old browser), still no credentials: refused by authentication.
    const bare = track(
      await h.app.inject({
        method: 'POST',
        url: `/v1/heals/${healId}/approve`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        payload: 'comment=x',
      }),
    );
    expect(bare.statusCode).toBe(401);
    expect(await state()).toBe('awaiting_approval');
  });

  it('refuses a cross-site write even when it carries a valid token', async () => {
    const res = track(
      await h.app.inject({
        method: 'PUT',
        url: '/v1/pause',
        headers: { ...h.auth('operator'), 'content-type': 'application/json', 'sec-fetch-site': 'same-site' },
        payload: { reason: 'x' },
      }),
    );
    expect(res.statusCode).toBe(403);
    expect((await h.deps.store.getSetting('paused')) ?? null).toBeNull();
  });

  it('does not open CORS: a preflight gets no permission, a read no allow-origin', async () => {
    const preflight = track(
      await h.app.inject({
        method: 'OPTIONS',
        url: `/v1/heals/${healId}/approve`,
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      }),
    );
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
    const read = track(
      await h.app.inject({
        url: '/v1/heals',
        headers: { ...h.auth('viewer'), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      }),
    );
    expect(read.statusCode).toBe(200);
  });

  it('same-origin writes from the console and writes from API clients still work', async () => {
    const res = track(
      await h.app.inject({
        method: 'POST',
        url: `/v1/heals/${healId}/reject`,
        headers: {
          ...h.auth('operator'),
          'content-type': 'application/json',
          'sec-fetch-site': 'same-origin',
        },
        payload: {},
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(await state()).toBe('cancelled');
  });
});

describe('with authentication off', () => {
  it('a page on another site still cannot act through an operator browser', async () => {
    const t = await buildTestApp({ env: { SALVE_INSECURE_NO_AUTH: 'true' } });
    try {
      const res = track(
        await t.app.inject({
          method: 'PUT',
          url: '/v1/pause',
          headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
          payload: '',
        }),
      );
      expect(res.statusCode).toBe(403);
      const approve = track(
        await t.app.inject({
          method: 'POST',
          url: '/v1/heals/heal_x/approve',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
        }),
      );
      expect(approve.statusCode).toBe(403);
    } finally {
      await t.close();
    }
  });
});
