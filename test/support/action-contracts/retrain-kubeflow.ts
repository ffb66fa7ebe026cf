import { retrainKubeflow } from '../../../src/actions/retrain-kubeflow/action.js';
import type { KubeflowParams } from '../../../src/actions/retrain-kubeflow/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startFakeKubeflow } from '../fake-kubeflow.js';
import { httpActionEnv } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'kfp-token-0987';
const params = {
  url: 'http://kubeflow.invalid',
  pipelineId: 'retrain-pipeline',
  token: { env: 'KFP_TOKEN' },
};

export const contracts: ReadonlyArray<ContractSetup<KubeflowParams>> = [
  {
    name: 'retrain.kubeflow',
    action: retrainKubeflow,
    params,
    target,
    async start() {
      const fake = await startFakeKubeflow({ token, pipelines: ['retrain-pipeline'] });
      const { context } = httpActionEnv(target, { KFP_TOKEN: token });
      return {
        context: (heal) => context(heal),
        params: { ...params, url: fake.url },
        inspect: async () => fake.runs.map((r) => r.display_name),
        requestCount: () => fake.requests.length,
        injectFailure: () => fake.failNext(503, 10),
        close: fake.close,
      };
    },
  },
];
