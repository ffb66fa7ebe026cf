import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, servingPolicy, type TestApp } from '../support/build-test-app.js';
import { type EngineHarness, startEngineHarness } from '../support/engine-harness.js';
import { type FakeSlack, type SlackPost, startFakeSlack } from '../support/fake-slack.js';
import { until } from '../support/wait.js';

const MIN = 60_000;
const policyWith = (notify: string) => `${servingPolicy}    notify: [${notify}]\n`;
const headline = (p: SlackPost): string => p.body.blocks[0].text.text;
const kinds = (posts: SlackPost[]) =>
  posts.map((p) => {
    const h = headline(p);
    if (h.includes('salve is healing')) return 'opened';
    if (h.includes('*Step')) return 'step';
    if (h.includes('*Resolved*')) return 'resolved';
    if (h.includes('Needs a human')) return 'escalated';
    return h;
  });

describe('notification dispatcher', () => {
  let slack: FakeSlack;
  let h: EngineHarness;
  let again: TestApp | undefined;
  afterEach(async () => {
    await again?.close();
    again = undefined;
    await h?.close();
    await slack?.close();
  });

  const start = async (notify = 'slack', env: Record<string, string> = {}) => {
    slack = await startFakeSlack();
    h = await startEngineHarness({
      policies: { 'p.yaml': policyWith(notify) },
      env: { SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl, ...env },
      overrides: { notify: { backoff: { baseMs: 1_000, maxMs: 60_000, jitter: 0.5 }, maxAttempts: 4 } },
    });
    return h;
  };
  const records = async (type: string) =>
    (await h.deps.store.queryAudit({ type, limit: 100 })).map((r) => ({ outcome: r.outcome, data: r.data }));

  it('posts the heal story to Slack in order, as Block Kit with a fallback, and audits each delivery', async () => {
    await start();
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    expect(slack.requests).toHaveLength(0); // the engine never waits for Slack
    await h.deps.dispatcher.drain();
    expect(kinds(slack.posts())).toEqual(['opened', 'step']);
    const first = slack.posts()[0]!;
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.body.text).toContain(`(heal ${opened[0]})`);
    expect(first.body.blocks.map((b: { type: string }) => b.type)).toEqual([
      'section',
      'section',
      'context',
      'context',
    ]);
    const sent = await records('notification.sent');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({
      outcome: 'sent',
      data: { notifier: 'slack', kind: 'heal.opened', status: 200, attempt: 1 },
    });
    expect(JSON.stringify(sent)).not.toContain('fake-webhook-secret');
    expect(h.logs.text()).not.toContain('fake-webhook-secret');
    expect(await h.deps.store.countPendingOutbox()).toBe(0);
    const metrics = (await h.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/salve_notifications_total\{notifier="slack",outcome="sent"\} 2/);

    await h.advance(2_000);
    await h.clock.advance(3 * MIN);
    await h.resolve('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    expect(kinds(slack.posts())).toEqual(['opened', 'step', 'resolved']);
    expect(headline(slack.posts()[2]!)).toContain('in *3m 2s*');
  });

  it('retries after a 500 with backoff, keeping later messages behind the failed one', async () => {
    await start();
    slack.answerNext({ status: 500 });
    await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    expect(slack.posts()).toHaveLength(1);
    expect(await h.deps.store.countPendingOutbox()).toBe(2);
    // The backlog, as the dashboard and the alert on it read it.
    expect((await h.app.inject({ url: '/metrics' })).body).toMatch(/^salve_notifications_pending 2$/m);
    const [failed] = await records('notification.failed');
    expect(failed).toMatchObject({
      outcome: 'retry',
      data: { status: 500, error: 'HTTP 500 error', attempt: 1 },
    });
    // random() is pinned to 0: the first retry waits half of the 1 s base.
    await h.clock.advance(499);
    expect(await h.deps.dispatcher.runDue()).toBe(0);
    await h.clock.advance(1);
    await h.deps.dispatcher.drain();
    expect(kinds(slack.posts())).toEqual(['opened', 'opened', 'step']);
    expect(await h.deps.store.countPendingOutbox()).toBe(0);
  });

  it('honours Retry-After on a 429', async () => {
    await start();
    slack.answerNext({ status: 429, retryAfter: '30' });
    await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    const [limited] = await records('notification.failed');
    expect(limited).toMatchObject({
      data: { status: 429, nextAttemptAt: new Date(h.clock.now().getTime() + 30_000).toISOString() },
    });
    await h.clock.advance(29_000);
    await h.deps.dispatcher.drain();
    expect(slack.posts()).toHaveLength(1);
    await h.clock.advance(1_000);
    await h.deps.dispatcher.drain();
    expect(kinds(slack.posts())).toEqual(['opened', 'opened', 'step']);
  });

  it('a 404 is final: the notification goes dead at once, and the next one is still sent', async () => {
    await start();
    slack.answerNext({ status: 404, body: 'channel_not_found' });
    await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    expect(await records('notification.dead')).toEqual([
      {
        outcome: 'dead',
        data: expect.objectContaining({
          kind: 'heal.opened',
          status: 404,
          error: 'HTTP 404 channel_not_found',
        }),
      },
    ]);
    expect(kinds(slack.posts())).toEqual(['opened', 'step']);
    expect(await h.deps.store.countPendingOutbox()).toBe(0);
    await h.clock.advance(10 * MIN);
    await h.deps.dispatcher.drain();
    expect(slack.posts()).toHaveLength(2);
  });

  it('gives up after the last attempt and says so', async () => {
    await start();
    slack.outage({ status: 503 });
    await h.fire('fraud-scorer');
    await h.run();
    for (let i = 0; i < 6; i++) {
      await h.deps.dispatcher.drain();
      await h.clock.advance(MIN);
    }
    const dead = await records('notification.dead');
    expect(dead.map((d) => d.data.kind)).toEqual(['heal.opened', 'step.result']);
    expect(dead[0]!.data.error).toBe('HTTP 503 error; gave up after 4 attempts');
    // Only the head of the line was really tried each round; the one behind it waited.
    expect(slack.posts().length).toBe(5);
  });

  it('a Slack outage neither delays nor fails the heal, and the story arrives in order afterwards', async () => {
    await start();
    slack.outage({ status: 500 });
    h.deps.dispatcher.start();
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.advance(2_000);
    await h.clock.advance(3 * MIN);
    await h.resolve('fraud-scorer');
    await h.run();
    expect(await h.heal(opened[0]!)).toMatchObject({ state: 'resolved' });
    expect(h.patches()).toHaveLength(1);
    await h.deps.dispatcher.stop();
    expect(await h.deps.store.countPendingOutbox()).toBe(3);
    slack.recover();
    await h.clock.advance(10 * MIN);
    await h.deps.dispatcher.drain();
    const delivered = kinds(slack.posts().filter((_, i) => i >= slack.posts().length - 3));
    expect(delivered).toEqual(['opened', 'step', 'resolved']);
    expect(await h.deps.store.countPendingOutbox()).toBe(0);
  });

  it('once started, the dispatcher sends on its own, and stops cleanly', async () => {
    slack = await startFakeSlack();
    h = await startEngineHarness({
      policies: { 'p.yaml': policyWith('slack') },
      env: { SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl },
      overrides: { notify: { pollMs: 20 } },
    });
    h.deps.dispatcher.start();
    await h.fire('fraud-scorer');
    await h.run();
    await until('two posts', () => slack.posts().length >= 2);
    await h.deps.dispatcher.stop();
    expect(kinds(slack.posts())).toEqual(['opened', 'step']);
  });

  it('loses nothing across a restart: items pending at shutdown are sent by the next process', async () => {
    await start();
    await h.fire('fraud-scorer');
    await h.run();
    expect(await h.deps.store.countPendingOutbox()).toBe(2);
    const { dir } = h;
    // Shut down with the outbox non-empty (the harness's close would do it again: keep its simulator only).
    await h.app.close();
    await h.deps.close();
    const { sim } = h;
    h = { close: () => sim.close() } as EngineHarness;
    expect(slack.requests).toHaveLength(0);
    again = await buildTestApp({
      dir,
      policies: { 'p.yaml': policyWith('slack') },
      env: { SALVE_SLACK_WEBHOOK_URL: slack.webhookUrl },
    });
    await again.deps.dispatcher.drain();
    expect(kinds(slack.posts())).toEqual(['opened', 'step']);
    expect(await again.deps.store.countPendingOutbox()).toBe(0);
  });

  it('a policy naming an unconfigured notifier is warned about, and its notifications go dead with the reason', async () => {
    await start('slack, pager');
    await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    expect(h.logs.lines()).toContainEqual(
      expect.objectContaining({
        policies: ['scorer-error-rate'],
        notifier: 'pager',
        msg: '1 policy notifies "pager", which is not configured: their notifications are not sent (define it in SALVE_NOTIFIERS_FILE)',
      }),
    );
    expect(h.deps.dispatcher.unknownNotifiers()).toEqual([
      { policy: 'scorer-error-rate', notifier: 'pager' },
    ]);
    const dead = await records('notification.dead');
    expect(dead).toHaveLength(2);
    expect(dead[0]).toMatchObject({
      outcome: 'unknown_notifier',
      data: { notifier: 'pager', error: expect.stringContaining('no notifier named "pager" is configured') },
    });
    expect(kinds(slack.posts())).toEqual(['opened', 'step']);
  });

  it('a webhook notifier posts the documented event, signed so the consumer can verify it', async () => {
    slack = await startFakeSlack();
    const dir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'salve-hook-'));
    fs.writeFileSync(path.join(dir, 'url'), `${slack.url}/consumer/events\n`);
    fs.writeFileSync(path.join(dir, 'secret'), 'consumer-shared-secret\n');
    fs.writeFileSync(
      path.join(dir, 'notifiers.yaml'),
      `notifiers:
  - name: bridge
    type: webhook
    url: { file: ${path.join(dir, 'url')} }
    secret: { file: ${path.join(dir, 'secret')} }
  - name: quiet
    type: webhook
    url: { file: ${path.join(dir, 'url')} }
    minSeverity: page
`,
    );
    h = await startEngineHarness({
      policies: { 'p.yaml': policyWith('bridge, quiet') },
      env: { SALVE_NOTIFIERS_FILE: path.join(dir, 'notifiers.yaml') },
    });
    const { opened } = await h.fire('fraud-scorer');
    await h.run();
    await h.deps.dispatcher.drain();
    const posts = slack.requests;
    expect(posts).toHaveLength(2);
    const post = posts[0]!;
    expect(post.path).toBe('/consumer/events');
    expect(post.headers['x-salve-event']).toBe('heal.opened');
    expect(post.headers['x-salve-signature']).toBe(
      `sha256=${createHmac('sha256', 'consumer-shared-secret').update(post.raw).digest('hex')}`,
    );
    expect(post.headers['x-salve-timestamp']).toBe(String(Math.floor(Date.parse(post.body.sentAt) / 1000)));
    expect(post.body).toMatchObject({
      id: post.headers['x-salve-delivery'],
      notifier: 'bridge',
      attempt: 1,
      event: { kind: 'heal.opened', heal: { id: opened[0], policy: 'scorer-error-rate' } },
    });
    // `quiet` only hears about pages: a critical alert is skipped, and the audit log says so.
    expect(await records('notification.skipped')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ notifier: 'quiet', why: 'severity critical is below page' }),
      }),
      expect.objectContaining({ data: expect.objectContaining({ notifier: 'quiet' }) }),
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('unconfigured notifiers', () => {
  it('several policies naming one unconfigured notifier make one warning, with what to set', async () => {
    const t = await buildTestApp({
      policies: { 'a.yaml': fs.readFileSync('policies/serving.yaml', 'utf8') },
    });
    try {
      await t.deps.dispatcher.drain();
      const warnings = t.logs.lines().filter((l) => String(l.msg).includes('which is not configured'));
      expect(warnings).toEqual([
        expect.objectContaining({
          notifier: 'slack',
          policies: ['scorer-error-rate', 'scorer-latency-p99'],
          msg: '2 policies notify "slack", which is not configured: their notifications are not sent (set SALVE_SLACK_WEBHOOK_URL, or define it in SALVE_NOTIFIERS_FILE)',
        }),
      ]);
    } finally {
      await t.close();
    }
  });
});
