import { retrainArgo } from '../../../src/actions/retrain-argo/action.js';
import type { ArgoParams } from '../../../src/actions/retrain-argo/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startFakeArgo } from '../fake-argo.js';
import { httpActionEnv } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'argo-token-abcdef';
const params = {
  url: 'http://argo.invalid',
  workflowTemplate: 'retrain',
  parameters: { model: 'fraud' },
  token: { env: 'ARGO_TOKEN' },
};

export const contracts: ReadonlyArray<ContractSetup<ArgoParams>> = [
  {
    name: 'retrain.argo',
    action: retrainArgo,
    params,
    target,
    async start() {
      const fake = await startFakeArgo({ token, templates: { 'ml-prod': ['retrain'] } });
      const { context } = httpActionEnv(target, { ARGO_TOKEN: token });
      return {
        context: (heal) => context(heal),
        params: { ...params, url: fake.url },
        inspect: async () => fake.workflows.map((w) => w.metadata.name),
        requestCount: () => fake.requests.length,
        injectFailure: () => fake.failNext(502, 10),
        close: fake.close,
      };
    },
  },
];
