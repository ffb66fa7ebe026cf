import { mlflowAlias } from '../../../src/actions/mlflow-alias/action.js';
import type { MlflowAliasParams } from '../../../src/actions/mlflow-alias/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startFakeMlflow } from '../fake-mlflow.js';
import { httpActionEnv } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' };
const token = 'mlflow-token-value-123';
const params = { url: 'http://mlflow.invalid', model: 'fraud', auth: { token: { env: 'MLFLOW_TOKEN' } } };

export const contracts: ReadonlyArray<ContractSetup<MlflowAliasParams>> = [
  {
    name: 'mlflow.alias',
    action: mlflowAlias,
    params,
    target,
    async start() {
      const fake = await startFakeMlflow({
        models: [
          {
            name: 'fraud',
            versions: [
              { version: 1 },
              { version: 2 },
              { version: 3 },
              { version: 4, status: 'FAILED_REGISTRATION' },
              { version: 5 },
            ],
            aliases: { champion: 5, challenger: 4 },
          },
        ],
        token,
      });
      const { context } = httpActionEnv(target, { MLFLOW_TOKEN: token });
      return {
        context: (heal) => context(heal),
        params: { ...params, url: fake.url },
        inspect: async () => ({
          champion: fake.alias('fraud', 'champion'),
          tag: fake.tag('fraud', 'salve.heal/champion'),
        }),
        requestCount: () => fake.requests.length,
        injectFailure: () => fake.failNext(503, 10),
        close: fake.close,
      };
    },
  },
];
