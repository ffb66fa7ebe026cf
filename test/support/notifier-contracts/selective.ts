import { expect } from 'vitest';
import { z } from 'zod';
import type { NotificationEvent } from '../../../src/domain/notification.js';
import { postJson } from '../../../src/notify/http-post.js';
import {
  type NotifierKind,
  readSource,
  type ValueSource,
  valueSourceSchema,
} from '../../../src/notify/notifier.js';
import { startFakeSlack } from '../fake-slack.js';
import type { NotifierContractSetup } from '../notifier-contract.js';

// Not a notifier salve ships: the shape of one that tells only some events (a pager hears of escalations and
// their end, not of every step), so that the contract holds its `skipped` answers to account.

const told = new Set<NotificationEvent['kind']>(['heal.escalated', 'heal.resolved', 'heal.cancelled']);
const tells = (event: NotificationEvent) => told.has(event.kind);

const selectiveNotifier: NotifierKind<{ url: ValueSource }> = {
  type: 'selective',
  fields: z.strictObject({ url: valueSourceSchema }),
  create: (spec, deps) => ({
    name: spec.name,
    type: 'selective',
    minSeverity: spec.minSeverity,
    async notify({ event }) {
      if (!tells(event)) return { outcome: 'skipped', why: `${event.kind} is not paged` };
      const url = await readSource(deps, spec.url, 'URL');
      if ('failed' in url) return url.failed;
      const body = JSON.stringify({ kind: event.kind, heal: event.heal.id });
      return postJson(deps.http, url.value, body, { timeoutMs: deps.timeoutMs, now: deps.now });
    },
  }),
};

export const contract: NotifierContractSetup = {
  kind: selectiveNotifier,
  tells,
  async start() {
    const peer = await startFakeSlack();
    return {
      peer: { requests: () => peer.requests, answerNext: peer.answerNext, close: peer.close },
      entry: { url: { env: 'SELECTIVE_URL' } },
      env: { SELECTIVE_URL: `${peer.url}/enqueue/selective-secret` },
      secrets: ['selective-secret'],
    };
  },
  rendered(request, event) {
    expect(JSON.parse(request.raw)).toEqual({ kind: event.kind, heal: event.heal.id });
  },
};
