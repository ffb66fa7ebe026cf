import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import {
  blockActionsPayload,
  type ClickOptions,
  type FakeSlack,
  type SlackPost,
  signedRequest,
  startFakeSlack,
} from '../support/fake-slack.js';

const SECRET = 'test-signing-secret-0123456789';
const approvalPolicy = `${servingPolicy}    guards: { cooldown: 30m, maxPerTarget: "3/1h", approval: true }\n    notify: [slack]\n`;
const headline = (p: SlackPost): string => p.body.blocks[0].text.text;

describe('Slack approvals by button', () => {
  let slack: FakeSlack;
  let h: EngineHarness;
  let again: TestApp | undefined;
  afterEach(async () => {
    await again?.close();
    again = undefined;
    await h?.close();
    await slack?.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    slack = await startFakeSlack();
    h = await startEngineHarness({
      policies: { 'p.yaml': approvalPolicy },
      env: {
        SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl,
        SALVE_SLACK_SIGNING_SECRET: SECRET,
        // The user the example clicks come from (blockActionsPayload); without a list nobody may approve.
        SALVE_SLACK_APPROVERS: 'U2CERLKJA',
        ...env,
      },
    });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    return opened[0]!;
  };
  const nowSeconds = (app: TestApp = h) => Math.floor(app.clock.now().getTime() / 1000);
  const post = (app: TestApp, req: { body: string; headers: Record<string, string> }) =>
    app.app.inject({
      method: 'POST',
      url: '/v1/slack/interactions',
      headers: req.headers,
      payload: req.body,
    });
  const click = (o: Omit<ClickOptions, 'responseUrl'> & { responseUrl?: string }, at = nowSeconds()) =>
    post(h, signedRequest(SECRET, blockActionsPayload({ responseUrl: slack.responseUrl(), ...o }), at));
  const audit = async (type: string) => h.deps.store.queryAudit({ type, limit: 100 });

  it('alert -> approval message with buttons -> signed click -> the heal acts and the message is updated in place', async () => {
    const id = await start();
    const [request] = slack.posts();
    expect(headline(request!)).toContain('*Approval needed*');
    const actions = request!.body.blocks.find((b: { type: string }) => b.type === 'actions');
    expect(actions.elements.map((e: { action_id: string; value: string }) => [e.action_id, e.value])).toEqual(
      [
        ['salve_approve', id],
        ['salve_reject', id],
      ],
    );
    expect(h.sim.mutations()).toHaveLength(0);

    const res = await click({ healId: id, action: 'approve', responseUrl: slack.responseUrl('approve-1') });
    expect(res.statusCode).toBe(200);
    expect(await h.heal(id)).toMatchObject({ state: 'pending', approvedBy: 'slack:U2CERLKJA' });
    const [granted] = await audit('approval.granted');
    expect(granted).toMatchObject({
      actor: 'slack:U2CERLKJA',
      healId: id,
      data: { via: 'slack', comment: 'from Slack by roadrunner' },
    });

    await h.run();
    expect(h.patches()).toHaveLength(1);
    expect(h.patches()[0]!.path).toBe('/apis/apps/v1/namespaces/ml-prod/deployments/fraud-scorer');
    await h.deps.dispatcher.drain();
    const [update] = slack.responses();
    expect(update!.path).toBe('/actions/T0000/approve-1/fake-response-secret');
    expect(update!.body).toMatchObject({ replace_original: true });
    expect(headline(update!)).toBe(
      ':white_check_mark: *Approved* by <@U2CERLKJA>: salve acts on `Deployment ml-prod/fraud-scorer` now',
    );
    expect(update!.body.blocks.some((b: { type: string }) => b.type === 'actions')).toBe(false);
    // The decision replaced the request; the channel got no second "approved" message, only the step result.
    expect(slack.posts().map(headline)).toEqual([
      expect.stringContaining('*Approval needed*'),
      expect.stringContaining('*Step 1 of 2* `k8s.restart` *changed*'),
    ]);
    expect(await h.deps.store.getSetting(`slack-response:${id}`)).toBeNull();
  });

  it('a Reject click cancels the heal, nothing is acted on, and the message says who rejected it', async () => {
    const id = await start();
    expect((await click({ healId: id, action: 'reject' })).statusCode).toBe(200);
    expect(await h.heal(id)).toMatchObject({ state: 'cancelled', reason: 'rejected' });
    await h.run();
    await h.deps.dispatcher.drain();
    expect(h.sim.mutations()).toHaveLength(0);
    expect(headline(slack.responses()[0]!)).toBe(
      ':no_entry_sign: *Rejected* by <@U2CERLKJA>: nothing will be done to `Deployment ml-prod/fraud-scorer`',
    );
  });

  it('when the response_url has expired, the decision is posted as a new message instead', async () => {
    const id = await start();
    await click({ healId: id, action: 'approve' });
    slack.answerNext({ status: 404, body: 'expired_url' });
    await h.deps.dispatcher.drain();
    expect(slack.responses()).toHaveLength(1);
    expect(headline(slack.posts()[1]!)).toContain('*Approved* by <@U2CERLKJA>');
  });

  it('refuses missing, bad, stale and replayed signatures with 401, counts each, writes nothing and decides nothing', async () => {
    const id = await start();
    const payload = blockActionsPayload({ healId: id, action: 'approve', responseUrl: slack.responseUrl() });
    const good = signedRequest(SECRET, payload, nowSeconds());
    const cases: Array<[string, { body: string; headers: Record<string, string> }, string]> = [
      [
        'missing',
        { body: good.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        'SALVE_SLACK_SIGNATURE_MISSING',
      ],
      ['invalid', signedRequest('not-the-secret', payload, nowSeconds()), 'SALVE_SLACK_SIGNATURE_INVALID'],
      [
        'invalid',
        { body: good.body.replace('approve', 'reject'), headers: good.headers },
        'SALVE_SLACK_SIGNATURE_INVALID',
      ],
      ['stale', signedRequest(SECRET, payload, nowSeconds() - 301), 'SALVE_SLACK_SIGNATURE_STALE'],
      ['stale', signedRequest(SECRET, payload, nowSeconds() + 301), 'SALVE_SLACK_SIGNATURE_STALE'],
    ];
    for (const [, req, code] of cases) {
      const res = await post(h, req);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe(code);
    }
    expect((await h.heal(id)).state).toBe('awaiting_approval');
    expect((await post(h, good)).statusCode).toBe(200);
    const replay = await post(h, good);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('SALVE_SLACK_REPLAYED');
    // Unauthenticated requests never write: no audit record of their own (test/adversarial has the rest).
    expect(await audit('slack.rejected')).toEqual([]);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /salve_auth_failures_total\{route="\/v1\/slack\/interactions",reason="SALVE_SLACK_SIGNATURE_STALE"\} 2/,
    );
    expect(metrics).toMatch(/reason="SALVE_SLACK_REPLAYED"\} 1/);
    expect(h.logs.text()).not.toContain(good.headers['x-slack-signature']!);
  });

  it('the same signed request arriving twice at once is decided once', async () => {
    const id = await start();
    const req = signedRequest(
      SECRET,
      blockActionsPayload({ healId: id, action: 'approve', responseUrl: slack.responseUrl() }),
      nowSeconds(),
    );
    const answers = await Promise.all([post(h, req), post(h, req)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 401]);
    expect(await audit('approval.granted')).toHaveLength(1);
  });

  it('a replay is refused after a restart too: seen signatures live in the store', async () => {
    const id = await start();
    const req = signedRequest(
      SECRET,
      blockActionsPayload({ healId: id, action: 'reject', responseUrl: slack.responseUrl() }),
      nowSeconds(),
    );
    expect((await post(h, req)).statusCode).toBe(200);
    const { dir, sim } = h;
    await h.app.close();
    await h.deps.close();
    h = { close: () => sim.close() } as EngineHarness;
    again = await buildTestApp({
      dir,
      policies: { 'p.yaml': approvalPolicy },
      env: { SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl, SALVE_SLACK_SIGNING_SECRET: SECRET },
    });
    const replay = await post(again, req);
    expect(replay.json().error.code).toBe('SALVE_SLACK_REPLAYED');
  });

  it('with an approver list, anyone else gets an ephemeral "not allowed" and the heal keeps waiting', async () => {
    const id = await start({ SALVE_SLACK_APPROVERS: 'UAPPROVER1, UAPPROVER2' });
    const res = await click({
      healId: id,
      action: 'approve',
      user: { id: 'UINTRUDER9', username: 'mallory' },
    });
    expect(res.statusCode).toBe(200);
    await h.deps.dispatcher.drain();
    expect((await h.heal(id)).state).toBe('awaiting_approval');
    expect(slack.responses()[0]!.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining("not on salve's approver list"),
    });
    expect(await audit('slack.not_allowed')).toEqual([
      expect.objectContaining({ actor: 'slack:UINTRUDER9', healId: id, outcome: 'not_allowed' }),
    ]);
    await click({ healId: id, action: 'approve', user: { id: 'UAPPROVER2', username: 'lead' } });
    expect(await h.heal(id)).toMatchObject({ state: 'pending', approvedBy: 'slack:UAPPROVER2' });
  });

  it('a click on a heal that no longer waits is answered privately and changes nothing', async () => {
    const id = await start({ SALVE_SLACK_APPROVERS: 'U2CERLKJA,ULATECOMER' });
    await click({ healId: id, action: 'reject' });
    const late = await click({ healId: id, action: 'approve', user: { id: 'ULATECOMER', username: 'late' } });
    expect(late.statusCode).toBe(200);
    await h.deps.dispatcher.drain();
    expect(await h.heal(id)).toMatchObject({ state: 'cancelled', reason: 'rejected' });
    const ephemeral = slack.responses().find((r) => r.body.response_type === 'ephemeral');
    expect(ephemeral!.body.text).toBe('This heal is cancelled: there is nothing to decide any more.');
    expect((await audit('slack.ignored'))[0]).toMatchObject({
      actor: 'slack:ULATECOMER',
      outcome: 'not_awaiting_approval',
    });
  });

  it('rejects what is not a signed form post of a block_actions payload', async () => {
    const id = await start();
    const json = await h.app.inject({
      method: 'POST',
      url: '/v1/slack/interactions',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(
        blockActionsPayload({ healId: id, action: 'approve', responseUrl: slack.responseUrl() }),
      ),
    });
    expect(json.statusCode).toBe(415);
    const garbage = new URLSearchParams({ payload: '{not json' }).toString();
    const { headers } = signedRequest(SECRET, {}, nowSeconds());
    const { slackSignature } = await import('../../src/notify/slack/signature.js');
    headers['x-slack-signature'] = slackSignature(SECRET, headers['x-slack-request-timestamp']!, garbage);
    const bad = await post(h, { body: garbage, headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('SALVE_SLACK_PAYLOAD_INVALID');
    expect((await h.heal(id)).state).toBe('awaiting_approval');
  });

  it('without a signing secret the route says Slack interactivity is not configured', async () => {
    slack = await startFakeSlack();
    h = await startEngineHarness({ policies: { 'p.yaml': approvalPolicy } });
    const res = await post(h, signedRequest(SECRET, { type: 'block_actions' }, nowSeconds()));
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toEqual({
      code: 'SALVE_SLACK_NOT_CONFIGURED',
      message: 'Slack interactivity is not configured: set SALVE_SLACK_SIGNING_SECRET',
    });
  });
});
