import { expect } from 'vitest';
import { pagerDutyActions, pagerDutyEvents } from '../../../src/notify/pagerduty/events.js';
import { pagerDutyNotifier } from '../../../src/notify/pagerduty/notifier.js';
import { pagerDutyErrors, startFakePagerDuty } from '../fake-pagerduty.js';
import type { NotifierContractSetup } from '../notifier-contract.js';

const routingKey = 'C0NTRACTKEY0123456789abcdefABCDE';

export const contract: NotifierContractSetup = {
  kind: pagerDutyNotifier,
  // A pager is told what needs a human and how it ends; the rest is skipped, saying why.
  tells: (event) => pagerDutyActions(event).length > 0,
  async start() {
    const pd = await startFakePagerDuty();
    return {
      peer: { requests: () => pd.requests, answerNext: pd.answerNext, close: pd.close },
      entry: { routingKey: { env: 'PD_CONTRACT_KEY' }, url: { env: 'PD_CONTRACT_URL' } },
      env: { PD_CONTRACT_KEY: routingKey, PD_CONTRACT_URL: pd.enqueueUrl },
      secrets: [routingKey],
    };
  },
  rendered(request, event) {
    expect(request.path).toBe('/v2/enqueue');
    expect(request.headers['content-type']).toBe('application/json');
    // The routing key travels in the body only, as the Events API v2 takes it.
    expect(request.headers.authorization).toBeUndefined();
    const body = JSON.parse(request.raw);
    expect(pagerDutyErrors(body), event.kind).toEqual([]);
    expect([body]).toEqual(pagerDutyEvents(event, routingKey));
    expect(body.dedup_key).toBe(`salve/${event.heal.id}`);
  },
};
