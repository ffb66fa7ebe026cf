import { expect } from 'vitest';
import { slackMessage } from '../../../src/notify/slack/messages.js';
import { slackNotifier } from '../../../src/notify/slack/notifier.js';
import { startFakeSlack } from '../fake-slack.js';
import type { NotifierContractSetup } from '../notifier-contract.js';

/** Slack's section text limit: a longer one is refused with invalid_blocks. */
const SECTION_LIMIT = 3000;

export const contract: NotifierContractSetup = {
  kind: slackNotifier,
  async start() {
    const slack = await startFakeSlack();
    return {
      peer: {
        requests: () => slack.requests,
        answerNext: slack.answerNext,
        close: slack.close,
      },
      entry: { url: { env: 'SLACK_CONTRACT_URL' } },
      env: { SLACK_CONTRACT_URL: slack.webhookUrl },
      // The incoming webhook URL is the credential; its last segment is its secret part.
      secrets: [slack.webhookUrl, 'fake-webhook-secret'],
    };
  },
  rendered(request, event, notifier) {
    expect(request.path).toBe('/services/T0000/B0000/fake-webhook-secret');
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.raw);
    expect(body, event.kind).toEqual(slackMessage(event, notifier));
    expect(body.text).toContain(`(heal ${event.heal.id})`);
    for (const block of body.blocks) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(SECTION_LIMIT);
    }
    const buttons = body.blocks.find((b: { type: string }) => b.type === 'actions');
    if (event.kind !== 'approval.requested') return expect(buttons).toBeUndefined();
    expect(buttons.block_id).toBe(`salve_approval:${notifier}`);
    expect(buttons.elements.map((e: { value: string }) => e.value)).toEqual([event.heal.id, event.heal.id]);
  },
};
