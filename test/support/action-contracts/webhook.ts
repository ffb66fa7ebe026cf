import type { TargetRef } from '../../../src/actions/types.js';
import { webhook } from '../../../src/actions/webhook/action.js';
import type { WebhookParams } from '../../../src/actions/webhook/params.js';
import type { ContractSetup } from '../action-contract.js';
import { httpActionEnv, startFakeWebhook } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'hook-token-5555';
const params = {
  url: 'http://hooks.invalid/hooks/retrain',
  body: { model: 'fraud' },
  token: { env: 'HOOK_TOKEN' },
};

export const contracts: ReadonlyArray<ContractSetup<WebhookParams>> = [
  {
    name: 'webhook',
    action: webhook,
    params,
    target,
    async start() {
      const fake = await startFakeWebhook({ token, path: '/hooks/retrain' });
      const { context } = httpActionEnv(target, { HOOK_TOKEN: token });
      return {
        context: (heal) => context(heal),
        params: { ...params, url: `${fake.url}/hooks/retrain` },
        inspect: async () => fake.deliveries(),
        requestCount: () => fake.requests.length,
        injectFailure: () => fake.failNext(500, 10),
        close: fake.close,
      };
    },
  },
];
