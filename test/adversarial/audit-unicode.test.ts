import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry } from '../../src/actions/registry.js';
import { loadPolicyDir } from '../../src/policy/loader.js';
import { formatProblem } from '../../src/policy/problems.js';
import { type Backend, postgresBackend, sqliteBackend } from '../support/backends.js';
import { servingPolicy } from '../support/build-test-app.js';
import { blockActionsPayload, signedRequest } from '../support/fake-slack.js';
import { payload } from '../support/fixtures.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';

// Class 2: a string that is not well-formed Unicode (a lone UTF-16 surrogate, bytes that are not UTF-8, NUL)
// must never be stored differently from how it was acknowledged and sealed. Every edge refuses it, naming the
// field; whatever reaches the chain anyway is sealed as stored; and one broken record never hides the others.

const SECRET = 'test-signing-secret-0123456789';
const alert = {
  alertname: 'ModelServingErrorRate',
  severity: 'critical',
  namespace: 'ml-prod',
  deployment: 'fraud-scorer',
};

/** A webhook body as raw JSON text with `\uXXXX` escapes spliced in: JSON.parse makes them lone surrogates. */
function rawWebhook(edit: (json: string) => string): string {
  return edit(JSON.stringify(payload([{ labels: alert }])));
}

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const backends: Array<[string, () => Promise<Backend>]> = [
  ['sqlite', () => sqliteBackend({ env: { SALVE_SLACK_SIGNING_SECRET: SECRET } })],
  ['postgres', () => postgresBackend(server, { env: { SALVE_SLACK_SIGNING_SECRET: SECRET } })],
];

describe.each(backends)('on %s', (_kind, open) => {
  let b: Backend;
  afterEach(async () => {
    await b?.close();
  });

  const auditCount = async () => (await b.t.deps.store.queryAudit({ limit: 1000 })).length;

  it.each([
    [
      'a lone high surrogate as receiver',
      (j: string) => j.replace('"receiver":"salve"', '"receiver":"\\ud800"'),
      'receiver',
    ],
    [
      'a lone low surrogate in a label value',
      (j: string) => j.replace('"fraud-scorer"', '"fraud\\udc00scorer"'),
      'alerts[0].labels.deployment',
    ],
    [
      'a lone surrogate in a label name',
      (j: string) => j.replace('"severity"', '"sev\\ud83d"'),
      'alerts[0].labels["sev\\ud83d"] (a key)',
    ],
    [
      'a surrogate pair cut in half in an annotation',
      (j: string) => j.replace('"annotations":{}', '"annotations":{"summary":"\\ude00 done"}'),
      'alerts[0].annotations.summary',
    ],
    ['NUL in the group key', (j: string) => j.replace('"groupKey":"{}', '"groupKey":"\\u0000{}'), 'groupKey'],
  ])('the webhook refuses %s with 400 naming the field, and stores nothing', async (_what, edit, field) => {
    b = await open();
    const before = await auditCount();
    const res = await b.t.deliver(rawWebhook(edit));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'SALVE_REQUEST_INVALID_TEXT' });
    expect(res.json().error.message.startsWith(`${field}:`)).toBe(true);
    expect(await auditCount()).toBe(before);
    expect(await b.t.deps.store.listAlerts({ limit: 10 })).toEqual([]);
  });

  it('refuses a body whose bytes are not UTF-8 instead of decoding them to U+FFFD', async () => {
    b = await open();
    const text = rawWebhook((j) => j.replace('fraud-scorer', 'fraud-XX'));
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('XX');
    bytes[at] = 0xed; // the start of an encoded surrogate: ED A0 80 is not UTF-8
    bytes[at + 1] = 0xa0;
    const res = await b.t.app.inject({
      method: 'POST',
      url: '/v1/alertmanager',
      headers: { ...b.t.auth('alertmanager'), 'content-type': 'application/json' },
      payload: bytes,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'SALVE_REQUEST_INVALID_TEXT',
      message: 'the body is not valid UTF-8',
    });
  });

  it('accepts well-formed text from every plane and seals it as stored', async () => {
    b = await open();
    const res = await b.t.deliver(
      rawWebhook((j) =>
        j
          .replace('"receiver":"salve"', '"receiver":"salvé-😀-\\ud83d\\ude00-ß"')
          .replace('"annotations":{}', '"annotations":{"summary":"模型 错误率 \\u2028 ok"}'),
      ),
    );
    expect(res.statusCode).toBe(202);
    const [received] = await b.t.deps.store.queryAudit({ type: 'delivery.received', limit: 1 });
    expect(received?.actor).toBe('alertmanager:salvé-😀-😀-ß');
    expect(await b.t.deps.store.verifyAudit()).toMatchObject({ ok: true, problems: [] });
  });

  it('a manual heal, a pause and an approval comment are held to the same rule', async () => {
    b = await open();
    const post = (url: string, body: string, method: 'POST' | 'PUT' = 'POST') =>
      b.t.app.inject({
        method,
        url,
        headers: { ...b.t.auth('operator'), 'content-type': 'application/json' },
        payload: body,
      });
    const heal = await post(
      '/v1/heals',
      '{"policy":"scorer-error-rate","labels":{"namespace":"ml-prod","deployment":"fraud-scorer"},"reason":"oops \\udfff"}',
    );
    expect(heal.statusCode).toBe(400);
    expect(heal.json().error.message).toMatch(/^reason: holds a lone UTF-16 surrogate \(U\+DFFF\)/);
    const pause = await post('/v1/pause', '{"reason":"\\ud800"}', 'PUT');
    expect(pause.statusCode).toBe(400);
    expect(pause.json().error.message).toMatch(/^reason:/);
    expect(await b.t.deps.store.getSetting('paused')).toBeNull();
    const approve = await post('/v1/heals/heal_x/approve', '{"comment":"no\\u0000pe"}');
    expect(approve.json().error).toMatchObject({ code: 'SALVE_REQUEST_INVALID_TEXT' });
    const query = await b.t.app.inject({ url: '/v1/audit?policy=a%00b', headers: b.t.auth('viewer') });
    expect(query.json().error).toMatchObject({
      code: 'SALVE_REQUEST_INVALID_TEXT',
      message: 'query policy: holds a NUL character',
    });
  });

  it('a signed Slack click whose names are malformed decides nothing', async () => {
    b = await open();
    // JSON.stringify writes a lone surrogate as the escape \udbff: the signed bytes are plain ASCII.
    const click = blockActionsPayload({
      healId: 'heal_01kb2m3n4p5q6r7s8t9v0w1x2y',
      action: 'approve',
      responseUrl: 'https://hooks.slack.com/actions/T0000/1/x',
      user: { id: 'U2CERLKJA', username: 'road\udbffrunner' },
    });
    const req = signedRequest(SECRET, click, Math.floor(b.t.clock.now().getTime() / 1000));
    const before = await auditCount();
    const res = await b.t.app.inject({
      method: 'POST',
      url: '/v1/slack/interactions',
      headers: req.headers,
      payload: req.body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'SALVE_REQUEST_INVALID_TEXT' });
    expect(res.json().error.message).toMatch(/^payload user\.username:/);
    expect(await auditCount()).toBe(before);
  });

  it('whatever reaches the chain by another way is sealed as stored: verify holds', async () => {
    b = await open();
    await b.t.deps.store.appendAudit([
      {
        type: 'test.note',
        actor: 'peer:\ud800',
        healId: null,
        policy: 'p\u0000',
        target: null,
        outcome: 'x\udc00',
        data: { said: 'lone \ud800 and NUL \u0000', key: { '\udfff': 1 } },
      },
    ]);
    const [stored] = await b.t.deps.store.queryAudit({ type: 'test.note', limit: 1 });
    expect(stored).toMatchObject({ actor: 'peer:\ufffd', policy: 'p\ufffd', outcome: 'x\ufffd' });
    expect(await b.t.deps.store.verifyAudit()).toMatchObject({ ok: true, problems: [] });
  });

  it('verify names every broken record, not only the first', async () => {
    b = await open();
    // #1 is the record salve sealed when it started; the notes are #2 to #13.
    await b.t.deps.store.appendAudit(
      Array.from({ length: 12 }, (_, n) => ({
        type: 'test.note',
        actor: 'salve',
        healId: null,
        policy: null,
        target: null,
        outcome: null,
        data: { n },
      })),
    );
    await b.sql('UPDATE audit SET data = $1 WHERE seq = $2', ['{"n":99}', 2]);
    await b.sql('UPDATE audit SET actor = $1 WHERE seq = $2', ['mallory', 5]);
    await b.sql('DELETE FROM audit WHERE seq = $1', [7]);
    await b.sql('UPDATE audit SET outcome = $1 WHERE seq = $2', ['approved', 11]);
    const res = await b.t.app.inject({ url: '/v1/audit/verify?full=true', headers: b.t.auth('viewer') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ok: false,
      records: 12,
      brokenAt: 2,
      problemCount: 4,
      problems: [
        { seq: 2, reason: 'content does not match its seal' },
        { seq: 5, reason: 'content does not match its seal' },
        { seq: 7, reason: 'record #7 is missing' },
        { seq: 11, reason: 'content does not match its seal' },
      ],
    });
  });
});

describe('policy files', () => {
  const registry = createActionRegistry();
  let dir: string;
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    [
      'a lone surrogate escape in a description',
      '    description: Restart, then roll back the scorer when its error rate is high',
      '    description: "ok \\ud800"',
      4,
      'policies[0].description',
    ],
    [
      'a NUL escape in a matcher',
      '      - alertname="ModelServingErrorRate"',
      '      - "alertname=\\"X\\0\\""',
      6,
      'policies[0].match[0]',
    ],
  ])('refuses %s, naming file:line and path', async (_what, from, to, line, at) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-unicode-'));
    fs.writeFileSync(path.join(dir, 'p.yaml'), servingPolicy.replace(from, to));
    const { table, problems } = await loadPolicyDir(dir, registry);
    expect(table).toBeNull();
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        new RegExp(`^${dir}/p\\.yaml:${line}:\\d+ ${at.replace(/[[\].]/g, '\\$&')}: holds`),
      ),
    ]);
  });

  it('refuses bytes that are not UTF-8, naming the line', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-unicode-'));
    const bytes = Buffer.from(servingPolicy, 'utf8');
    bytes[bytes.indexOf('Restart')] = 0xff;
    fs.writeFileSync(path.join(dir, 'p.yaml'), bytes);
    const { table, problems } = await loadPolicyDir(dir, registry);
    expect(table).toBeNull();
    expect(problems.map(formatProblem)).toEqual([`${dir}/p.yaml:4:1 is not valid UTF-8`]);
  });
});
