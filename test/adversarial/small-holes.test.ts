import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { k8sRestart } from '../../src/actions/k8s-restart/action.js';
import { serverTimeouts } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { sha256 } from '../../src/config/tokens.js';
import { createDeps } from '../../src/deps.js';
import { type Backend, postgresBackend, sqliteBackend } from '../support/backends.js';
import { buildTestApp, prepareSalveDir, type TestApp, testTokens } from '../support/build-test-app.js';
import { blockActionsPayload, signedRequest } from '../support/fake-slack.js';
import { payload } from '../support/fixtures.js';
import { type KubeActionHarness, startKubeActionHarness } from '../support/kube-action-harness.js';
import { captureLogs } from '../support/log-capture.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

// Class 8: the smaller holes. Slow sockets, ambiguous token files, an Idempotency-Key reused for another
// request, a pause without its audit record, Slack approvals open to anyone, a timeout that says "aborted".

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('the server does not keep slow sockets', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  /** Resolves when the server closes the socket, with what it answered before closing. */
  function closed(socket: net.Socket): Promise<string> {
    let answer = '';
    socket.on('data', (d) => {
      answer += String(d);
    });
    return new Promise((resolve) => socket.once('close', () => resolve(answer)));
  }

  it('a request whose headers or body never finish is cut off; the deadlines are set', async () => {
    t = await buildTestApp();
    expect(t.app.server.headersTimeout).toBe(serverTimeouts.headersMs);
    expect(t.app.server.requestTimeout).toBe(serverTimeouts.requestMs);
    expect(t.app.server.keepAliveTimeout).toBe(serverTimeouts.keepAliveMs);
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as net.AddressInfo;
    const connect = () => net.connect(port, '127.0.0.1');

    const slowHeaders = connect();
    slowHeaders.write('POST /v1/alertmanager HTTP/1.1\r\nHost: salve\r\nX-Slow: ');
    const slowBody = connect();
    slowBody.write(
      `POST /v1/alertmanager HTTP/1.1\r\nHost: salve\r\nAuthorization: Bearer ${testTokens.alertmanager}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"receiver":',
    );
    const idle = connect();
    const [headers, body] = await Promise.all([closed(slowHeaders), closed(slowBody), closed(idle)]);
    expect(headers).toMatch(/^HTTP\/1\.1 408/);
    expect(body).toMatch(/^HTTP\/1\.1 408/);
    // Nothing half-received was committed.
    expect(await t.deps.store.listAlerts({ limit: 10 })).toEqual([]);
  }, 60_000);
});

describe('the tokens file', () => {
  function start(tokens: unknown, mode = 0o600) {
    const { dir, env } = prepareSalveDir();
    const file = path.join(dir, 'tokens.yaml');
    fs.writeFileSync(file, typeof tokens === 'string' ? tokens : YAML.stringify(tokens));
    fs.chmodSync(file, mode);
    const config = loadConfig({ ...env, SALVE_LOG_LEVEL: 'silent' });
    return { file, deps: () => createDeps(config, captureLogs().log, { env: { HOME: dir } }) };
  }

  it('refuses two entries with one name, naming both lines', async () => {
    const { file, deps } = start(
      `- { name: oncall, scopes: [operator], token: "first-token-0123456789" }\n` +
        `- { name: am, scopes: [alertmanager], token: "second-token-0123456789" }\n` +
        `- { name: oncall, scopes: [viewer], token: "third-token-0123456789" }\n`,
    );
    await expect(deps()).rejects.toMatchObject({
      code: 'SALVE_CONFIG_INVALID',
      message: `${file}:3: token name "oncall" is already used at ${file}:1`,
    });
  });

  it('refuses two entries with one secret (plain and as a digest), naming both lines', async () => {
    const secret = 'shared-token-0123456789abcdef';
    const { file, deps } = start({
      tokens: [
        { name: 'alertmanager', scopes: ['alertmanager'], token: secret },
        { name: 'admin', scopes: ['operator'], sha256: sha256(secret).toString('hex') },
      ],
    });
    await expect(deps()).rejects.toMatchObject({
      message: `${file}:6: token "admin" has the same secret as "alertmanager" at ${file}:2`,
    });
  });

  it.each([
    [0o644, 'plain', true],
    [0o640, 'plain', true],
    [0o600, 'plain', false],
    [0o644, 'digest', false],
  ] as const)('mode %o with %s tokens: warned at start and in /readyz: %s', async (mode, kind, warned) => {
    const entry =
      kind === 'plain'
        ? { name: 'ops', scopes: ['operator'], token: 'plain-token-0123456789' }
        : { name: 'ops', scopes: ['operator'], sha256: sha256('plain-token-0123456789').toString('hex') };
    const { deps } = start([entry], mode);
    const d = await deps();
    try {
      expect(d.warnings.some((w) => w.includes('holds tokens in plain and can be read by other users'))).toBe(
        warned,
      );
    } finally {
      await d.close();
    }
  });
});

/** A data directory with a second operator token, as a second on-call engineer would have. */
function withSecondOperator(): { dir: string } {
  const { dir } = prepareSalveDir();
  const file = path.join(dir, 'tokens.yaml');
  const tokens = YAML.parse(fs.readFileSync(file, 'utf8'));
  tokens.push({ name: 'oncall-2', scopes: ['operator'], token: secondOperator });
  fs.writeFileSync(file, YAML.stringify(tokens), { mode: 0o600 });
  return { dir };
}
const secondOperator = 'second-operator-token-0123456789';

describe.each([
  ['sqlite', () => sqliteBackend(withSecondOperator())],
  ['postgres', () => postgresBackend(server, withSecondOperator())],
] as const)('on %s', (_kind, open) => {
  let b: Backend;
  afterEach(async () => {
    await b?.close();
  });

  const heal = (token: string, key: string, body: Record<string, unknown>) =>
    b.t.app.inject({
      method: 'POST',
      url: '/v1/heals',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
      payload: { policy: 'scorer-error-rate', reason: 'by hand', ...body },
    });

  it('the same Idempotency-Key with another body is refused (422); keys are scoped per token', async () => {
    b = await open();
    const labels = (deployment: string) => ({ labels: { namespace: 'ml-prod', deployment } });
    const first = await heal(testTokens.operator, 'retry-1', labels('scorer-a'));
    expect(first.statusCode).toBe(201);
    const same = await heal(testTokens.operator, 'retry-1', labels('scorer-a'));
    expect(same.json()).toMatchObject({ created: false, heal: { id: first.json().heal.id } });
    for (const other of [
      labels('scorer-b'),
      { ...labels('scorer-a'), dryRun: true },
      { ...labels('scorer-a'), reason: 'other' },
    ]) {
      const res = await heal(testTokens.operator, 'retry-1', other);
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({ code: 'SALVE_HEAL_IDEMPOTENCY_MISMATCH' });
    }
    // The second engineer's retry-1 is a key of their own: a heal of their own.
    const theirs = await heal(secondOperator, 'retry-1', labels('scorer-b'));
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().heal.id).not.toBe(first.json().heal.id);
    expect(await b.t.deps.store.listHeals({ limit: 10 })).toHaveLength(2);
  });

  it('PUT /v1/pause writes the setting and its audit record together, or neither', async () => {
    b = await open();
    // The audit table refuses writes (a full disk, a broken trigger): the pause must not be half-applied.
    if (b.kind === 'sqlite') {
      await b.sql(
        "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(FAIL, 'audit refused'); END",
      );
    } else {
      await b.sql(
        "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$",
      );
      await b.sql('CREATE TRIGGER no_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION no_audit()');
    }
    const pause = await b.t.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: b.t.auth('operator'),
      payload: { reason: 'maintenance' },
    });
    expect(pause.statusCode).toBeGreaterThanOrEqual(500);
    expect(await b.t.deps.store.getSetting('paused')).toBeNull();
    await b.sql(`DROP TRIGGER no_audit${b.kind === 'postgres' ? ' ON audit' : ''}`);
    const again = await b.t.app.inject({
      method: 'PUT',
      url: '/v1/pause',
      headers: b.t.auth('operator'),
      payload: { reason: 'maintenance' },
    });
    expect(again.statusCode).toBe(200);
    expect(await b.t.deps.store.getSetting('paused')).not.toBeNull();
    expect(await b.t.deps.store.queryAudit({ type: 'pause.set', limit: 10 })).toHaveLength(1);
    expect(await b.t.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });
});

describe('Slack approvals without an approver list', () => {
  const SECRET = 'test-signing-secret-0123456789';
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  async function clickOn(env: Record<string, string>) {
    t = await buildTestApp({
      policies: {
        'p.yaml': `apiVersion: salve/v1
policies:
  - name: scorer
    match: [alertname="ModelServingErrorRate"]
    target: { kind: Deployment, namespace: ml-prod, name: "{{ labels.deployment }}" }
    steps: [ { action: k8s.restart } ]
    guards: { approval: true }
`,
      },
      env: { SALVE_SLACK_SIGNING_SECRET: SECRET, ...env },
    });
    const opened = (
      await t.deliver(payload([{ labels: { alertname: 'ModelServingErrorRate', deployment: 'scorer' } }]))
    ).json().heals.opened;
    const id = opened[0].id as string;
    await t.deps.engine.drain();
    const req = signedRequest(
      SECRET,
      blockActionsPayload({
        healId: id,
        action: 'approve',
        responseUrl: 'https://hooks.slack.com/actions/T/1/x',
      }),
      Math.floor(t.clock.now().getTime() / 1000),
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/slack/interactions',
      headers: req.headers,
      payload: req.body,
    });
    expect(res.statusCode).toBe(200);
    const readyz = (await t.app.inject({ url: '/readyz' })).json() as { warnings: string[] };
    return { heal: await t.deps.store.getHeal(id), readyz };
  }

  it('denies every click by default, audits it, and says so in /readyz', async () => {
    const { heal, readyz } = await clickOn({});
    expect(heal).toMatchObject({ state: 'awaiting_approval', approvedBy: null });
    const [denied] = await t.deps.store.queryAudit({ type: 'slack.not_allowed', limit: 5 });
    expect(denied).toMatchObject({
      actor: 'slack:U2CERLKJA',
      data: { why: 'no approver list (SALVE_SLACK_APPROVERS)' },
    });
    expect(readyz.warnings).toContainEqual(expect.stringContaining('Slack approvals are denied'));
  });

  it('`*` lets anyone who can click approve, and /readyz says that too', async () => {
    const { heal, readyz } = await clickOn({ SALVE_SLACK_APPROVERS: '*' });
    expect(heal).toMatchObject({ approvedBy: 'slack:U2CERLKJA' });
    expect(readyz.warnings).toContainEqual(expect.stringContaining('anyone who can click'));
  });
});

describe('a step cut off by a timeout says what timed out, after how long', () => {
  let h: KubeActionHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('names the Kubernetes request and the deadline, never "The user aborted a request"', async () => {
    h = await startKubeActionHarness({}, { requestTimeoutMs: 250 });
    h.sim.seed.deployment({
      namespace: 'ml-prod',
      name: 'scorer',
      replicas: 1,
      revisions: [{ image: 's:1' }],
    });
    h.sim.faults.delay({ method: 'GET', path: /\/deployments\/scorer$/ }, 2_000, 1);
    const failure = await k8sRestart
      .run(h.context({ kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' }), {})
      .then(
        () => null,
        (err: Error) => err,
      );
    expect(failure?.message).toBe(
      'get Deployment ml-prod/scorer: the Kubernetes API did not answer within 250 ms (request timeout)',
    );
    expect(failure?.message).not.toMatch(/abort/i);
  });
});
