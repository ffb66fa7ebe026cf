import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { slackSignature } from '../../src/notify/slack/signature.js';
import { type Backend, postgresBackend, sqliteBackend } from '../support/backends.js';
import { testTokens } from '../support/build-test-app.js';
import { blockActionsPayload, signedRequest } from '../support/fake-slack.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

// Class 6: a request that does not prove who sent it must never cause a durable write. Every route is tried
// without credentials, with a wrong token and with a token of the wrong scope; the Slack route with every way
// a signature can fail. The database is compared, table by table, before and after.

const SECRET = 'test-signing-secret-0123456789';
const TABLES = [
  'deliveries',
  'alerts',
  'heals',
  'heal_alerts',
  'audit',
  'settings',
  'actions',
  'target_locks',
  'outbox',
];

/** Every route the app serves, as METHOD and path, read from fastify's own route tree. */
function routesOf(app: FastifyInstance): Array<{ method: string; url: string }> {
  const out: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+)(?: \(([^)]+)\))?/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      out.push({
        method,
        url: stack
          .join('')
          .replace(/:(\w+)/g, 'x-$1')
          .replace(/\*$/, 'x'),
      });
    }
  }
  return out;
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe.each([
  ['sqlite', () => sqliteBackend({ env: { SALVE_SLACK_SIGNING_SECRET: SECRET } })],
  ['postgres', () => postgresBackend(server, { env: { SALVE_SLACK_SIGNING_SECRET: SECRET } })],
] as const)('on %s', (_kind, open) => {
  let b: Backend;
  afterEach(async () => {
    await b?.close();
  });

  /**
   * A digest of every row of every table: any durable write changes it. `store_probe` is left out on
   * purpose: /readyz proves the store commits by rewriting its one row per replica (at most four times a
   * second, never growing, nothing from the request; docs/store-readiness.md). It is checked separately.
   */
  async function snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const table of TABLES) {
      const rows = await b.sql(`SELECT * FROM ${table} ORDER BY 1`);
      out[table] = createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
    }
    return out;
  }

  const bodies: Record<string, unknown> = {
    '/v1/alertmanager': payload([
      {
        labels: {
          alertname: 'ModelServingErrorRate',
          severity: 'page',
          namespace: 'ml-prod',
          deployment: 'a',
        },
      },
    ]),
    '/v1/heals': {
      policy: 'scorer-error-rate',
      labels: { namespace: 'ml-prod', deployment: 'a' },
      reason: 'x',
    },
    '/v1/pause': { reason: 'x' },
    '/v1/breaker/reset': { target: 'Deployment/ml-prod/a' },
  };

  it('no route writes anything for a request without valid credentials or with the wrong scope', async () => {
    b = await open();
    // Some state to change: an open heal, a pause that is set.
    await b.t.deliver(bodies['/v1/alertmanager']);
    const routes = routesOf(b.t.app);
    expect(routes.length).toBeGreaterThan(15);
    const before = await snapshot();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer not-a-token-0123456789' },
      { authorization: `Basic ${Buffer.from(`x:${testTokens.operator}x`).toString('base64')}` },
      { authorization: 'Bearer' },
      { authorization: `Bearer ${testTokens.viewer}` },
      { authorization: `Bearer ${testTokens.alertmanager}` },
    ];
    const statuses = new Map<string, Set<number>>();
    for (const route of routes) {
      for (const headers of attempts) {
        // The one credential in the list that this route accepts: a real Alertmanager re-sending its group.
        const valid =
          route.url === '/v1/alertmanager' && headers.authorization === `Bearer ${testTokens.alertmanager}`;
        const res = await b.t.app.inject({
          method: route.method as 'GET',
          url: route.url,
          headers: { ...headers, 'content-type': 'application/json' },
          payload: JSON.stringify(bodies[route.url] ?? {}),
        });
        const seen = statuses.get(`${route.method} ${route.url}`) ?? new Set();
        if (!valid) seen.add(res.statusCode);
        statuses.set(`${route.method} ${route.url}`, seen);
      }
    }
    expect(await snapshot()).toEqual(before);
    expect((await b.sql('SELECT owner FROM store_probe')).length).toBeLessThanOrEqual(2);
    // The writing routes refused every time (401, 403; 415 from the Slack route, which takes forms only).
    for (const route of [
      'POST /v1/alertmanager',
      'POST /v1/heals',
      'PUT /v1/pause',
      'POST /v1/slack/interactions',
    ])
      expect(
        [...(statuses.get(route) ?? [])].every((s) => s >= 400 && s < 500),
        route,
      ).toBe(true);
  });

  it('the Slack route writes nothing for any signature that fails, counts each and logs one line', async () => {
    b = await open();
    const { opened } = (await b.t.deliver(bodies['/v1/alertmanager'])).json().heals;
    const now = Math.floor(b.t.clock.now().getTime() / 1000);
    const click = blockActionsPayload({
      healId: opened[0].id,
      action: 'reject',
      responseUrl: 'https://hooks.slack.com/actions/T0000/1/x',
    });
    const good = signedRequest(SECRET, click, now);
    const post = (headers: Record<string, string>, body: string) =>
      b.t.app.inject({ method: 'POST', url: '/v1/slack/interactions', headers, payload: body });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const before = await snapshot();
    const forged: Array<[Record<string, string>, string]> = [
      [form, good.body],
      [{ ...form, 'x-slack-request-timestamp': String(now) }, good.body],
      [
        { ...good.headers, 'x-slack-signature': slackSignature('guessed-secret', String(now), good.body) },
        good.body,
      ],
      [good.headers, `${good.body}&extra=1`],
      [signedRequest(SECRET, click, now - 301).headers, signedRequest(SECRET, click, now - 301).body],
      [signedRequest(SECRET, click, now + 3_600).headers, signedRequest(SECRET, click, now + 3_600).body],
      [{ ...good.headers, 'x-slack-request-timestamp': 'yesterday' }, good.body],
    ];
    for (let round = 0; round < 20; round++) {
      for (const [headers, body] of forged) expect((await post(headers, body)).statusCode).toBe(401);
    }
    expect(await snapshot()).toEqual(before);

    // A signed click decides (and is remembered); its replays write nothing more.
    expect((await post(good.headers, good.body)).statusCode).toBe(200);
    const afterClick = await snapshot();
    expect(afterClick).not.toEqual(before);
    for (let i = 0; i < 20; i++) expect((await post(good.headers, good.body)).statusCode).toBe(401);
    expect(await snapshot()).toEqual(afterClick);

    const metrics = await b.t.deps.metrics.registry.metrics();
    expect(metrics).toMatch(
      /salve_auth_failures_total\{route="\/v1\/slack\/interactions",reason="SALVE_SLACK_SIGNATURE_INVALID"\} 40/,
    );
    expect(metrics).toMatch(/reason="SALVE_SLACK_REPLAYED"\} 20/);
    const lines = b.t.logs
      .lines()
      .filter((l) => String(l.msg).startsWith('request refused: not authenticated'));
    // One line per reason within the window, not one per request.
    expect(lines.map((l) => l.code).sort()).toEqual([
      'SALVE_SLACK_REPLAYED',
      'SALVE_SLACK_SIGNATURE_INVALID',
      'SALVE_SLACK_SIGNATURE_MISSING',
      'SALVE_SLACK_SIGNATURE_STALE',
    ]);
    // The next window's line says how many were left out.
    await b.t.clock.advance(61_000);
    const stale = signedRequest(SECRET, click, Math.floor(b.t.clock.now().getTime() / 1000) - 400);
    await post(stale.headers, stale.body);
    const later = b.t.logs
      .lines()
      .filter((l) => l.code === 'SALVE_SLACK_SIGNATURE_STALE' && String(l.msg).startsWith('request refused'));
    expect(later.at(-1)).toMatchObject({ alsoRefusedSinceLastLine: 59 });
  });
});
