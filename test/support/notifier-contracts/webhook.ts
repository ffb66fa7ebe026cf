import { expect } from 'vitest';
import { webhookHeaders, webhookNotifier, webhookSignature } from '../../../src/notify/webhook/notifier.js';
import { startFakeSlack } from '../fake-slack.js';
import type { NotifierContractSetup } from '../notifier-contract.js';

const signingSecret = 'contract-signing-secret-0123';
const urlSecret = 'consumer-path-secret-4567';

export const contract: NotifierContractSetup = {
  kind: webhookNotifier,
  async start() {
    // Any HTTP server that records what it receives and answers as scripted is a webhook consumer.
    const consumer = await startFakeSlack();
    return {
      peer: { requests: () => consumer.requests, answerNext: consumer.answerNext, close: consumer.close },
      entry: { url: { env: 'HOOK_CONTRACT_URL' }, secret: { env: 'HOOK_CONTRACT_SECRET' } },
      env: { HOOK_CONTRACT_URL: `${consumer.url}/events/${urlSecret}`, HOOK_CONTRACT_SECRET: signingSecret },
      secrets: [urlSecret, signingSecret],
    };
  },
  rendered(request, event, notifier) {
    expect(request.path).toBe(`/events/${urlSecret}`);
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.raw);
    expect(body).toMatchObject({ notifier, attempt: 1, event });
    expect(request.headers[webhookHeaders.event.toLowerCase()]).toBe(event.kind);
    expect(request.headers[webhookHeaders.delivery.toLowerCase()]).toBe(body.id);
    expect(request.headers['idempotency-key']).toBe(`salve-notification-${body.id}`);
    expect(request.headers[webhookHeaders.signature.toLowerCase()]).toBe(
      webhookSignature(signingSecret, request.raw),
    );
  },
};
