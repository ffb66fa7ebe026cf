import { afterEach, describe, expect, it } from 'vitest';
import type { TargetRef } from '../../src/actions/types.js';
import { webhook } from '../../src/actions/webhook/action.js';
import type { WebhookParams } from '../../src/actions/webhook/params.js';
import { actionFailure, type FakeWebhook, httpActionEnv, startFakeWebhook } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'hook-token-5555';
const apiKey = 'hook-api-key-7777';
const env = { HOOK_TOKEN: token, HOOK_KEY: apiKey };

let hook: FakeWebhook | undefined;
afterEach(async () => {
  await hook?.close();
  hook = undefined;
});

async function start(): Promise<FakeWebhook> {
  hook = await startFakeWebhook({ token, path: '/hooks/retrain' });
  return hook;
}

function params(fake: FakeWebhook, extra: Record<string, unknown> = {}): WebhookParams {
  return webhook.params.parse({ url: `${fake.url}/hooks/retrain`, token: { env: 'HOOK_TOKEN' }, ...extra });
}

describe('webhook', () => {
  it('posts the body with an Idempotency-Key per heal step; the repeat answers 409 = unchanged', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const p = params(fake, {
      body: { model: 'fraud', reason: 'drift' },
      headers: { 'X-Team': 'ml-platform', 'X-Api-Key': { env: 'HOOK_KEY' } },
    });
    const first = await webhook.run(context(), p);
    expect(first).toMatchObject({ status: 'changed', data: { httpStatus: 202 } });
    const req = fake.requests[0]!;
    expect(req.headers['idempotency-key']).toBe('salve-heal_01jdx0000000000000000000-1');
    expect(req.headers['x-team']).toBe('ml-platform');
    expect(req.headers['x-api-key']).toBe(apiKey);
    expect(req.headers.authorization).toBe(`Bearer ${token}`);
    expect(req.body).toEqual({ model: 'fraud', reason: 'drift' });
    const again = await webhook.run(context({ attempt: 2 }), p);
    expect(again.status).toBe('unchanged');
    expect(fake.deliveries()).toHaveLength(1);
  });

  it('sends the heal, policy, step and target when the policy gives no body', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    await webhook.run(context({ step: 3 }), params(fake));
    expect(fake.deliveries()).toEqual([
      {
        key: 'salve-heal_01jdx0000000000000000000-3',
        body: { heal: 'heal_01jdx0000000000000000000', policy: 'model-retrain', step: 3, target },
      },
    ]);
  });

  it('after its own unanswered post, the next attempt meets 409 and delivers nothing twice', async () => {
    const fake = await start();
    fake.loseNextReply(1);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      webhook.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    const result = await webhook.run(context({ attempt: 1 }), params(fake, { timeout: '150ms' }));
    expect(result.status).toBe('unchanged');
    expect(fake.deliveries()).toHaveLength(1);
  });

  it('fails 5xx and timeouts retryably, each attempt with the same key, and a 4xx for good', async () => {
    const fake = await start();
    fake.failNext(503, 1);
    fake.failNext('hang', 1);
    const { context, clock } = httpActionEnv(target, env);
    for (const attempt of [0, 1]) {
      const err = await actionFailure(webhook.run(context({ attempt }), params(fake, { timeout: '100ms' })));
      expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    }
    expect((await webhook.run(context({ attempt: 2 }), params(fake, { timeout: '100ms' }))).status).toBe(
      'changed',
    );
    expect(clock.sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(3);
    expect(new Set(fake.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    const err = await actionFailure(
      webhook.run(context(), webhook.params.parse({ url: `${fake.url}/elsewhere` })),
    );
    expect(err).toMatchObject({ code: 'SALVE_HTTP_NOT_FOUND', retryable: false });
  });

  it('fails retryably after the configured timeout', async () => {
    const fake = await start();
    fake.failNext('hang', 2);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(webhook.run(context(), params(fake, { timeout: '100ms' })));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(err.message).toContain('no answer within 100 ms');
  });

  it('names the credential sources, never the values, when the receiver refuses them', async () => {
    const fake = await start();
    const { context, logs } = httpActionEnv(target, { HOOK_TOKEN: 'revoked-hook-token', HOOK_KEY: apiKey });
    const err = await actionFailure(
      webhook.run(context(), params(fake, { headers: { 'X-Api-Key': { file: '/run/secrets/hook-key' } } })),
    );
    expect(err.code).toBe('SALVE_ACTION_FAILED');
    expect(err.message).toBe('credential file /run/secrets/hook-key cannot be read');
    const refused = await actionFailure(
      webhook.run(context(), params(fake, { headers: { 'X-Api-Key': { env: 'HOOK_KEY' } } })),
    );
    expect(refused).toMatchObject({ code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false });
    expect(refused.message).toContain('the token from environment variable HOOK_TOKEN');
    expect(refused.message).toContain('header X-Api-Key from environment variable HOOK_KEY');
    for (const text of [refused.message, JSON.stringify(refused.details), logs.text()]) {
      expect(text).not.toContain('revoked-hook-token');
      expect(text).not.toContain(apiKey);
    }
  });
});

describe('webhook parameters', () => {
  const url = 'https://hooks.example.com/x';

  it('refuse credentials written inline: in the URL or as a literal secret-looking header', () => {
    expect(webhook.params.safeParse({ url: 'https://user:pw@hooks.example.com/x' }).success).toBe(false);
    expect(webhook.params.safeParse({ url, headers: { Authorization: 'Bearer abc' } }).success).toBe(false);
    expect(webhook.params.safeParse({ url, headers: { 'X-Api-Key': 'abc' } }).success).toBe(false);
    expect(webhook.params.safeParse({ url, headers: { 'X-Api-Key': { env: 'K' } } }).success).toBe(true);
  });

  it('refuse headers salve sets itself, query strings and non-http URLs', () => {
    expect(webhook.params.safeParse({ url, headers: { 'Idempotency-Key': 'x' } }).success).toBe(false);
    expect(webhook.params.safeParse({ url: `${url}?token=abc` }).success).toBe(false);
    expect(webhook.params.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
  });
});
