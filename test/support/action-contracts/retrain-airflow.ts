import { retrainAirflow } from '../../../src/actions/retrain-airflow/action.js';
import type { AirflowParams } from '../../../src/actions/retrain-airflow/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { startFakeAirflow } from '../fake-airflow.js';
import { httpActionEnv } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const password = 's3cret-airflow-pw';
const auth = { username: 'salve', password: { env: 'AIRFLOW_PASSWORD' } };
const params = { url: 'http://airflow.invalid', dag: 'retrain_fraud', auth, waitForCompletion: true };

export const contracts: ReadonlyArray<ContractSetup<AirflowParams>> = ([2, 3] as const).map((version) => ({
  name: `retrain.airflow (Airflow ${version})`,
  action: retrainAirflow,
  params: { ...params, version },
  target,
  async start() {
    const fake = await startFakeAirflow({ version, username: 'salve', password, dags: ['retrain_fraud'] });
    const { context } = httpActionEnv(target, { AIRFLOW_PASSWORD: password });
    return {
      context: (heal) => context(heal),
      params: { ...params, version, url: fake.url },
      inspect: async () => fake.runs.map((r) => ({ ...r })),
      requestCount: () => fake.requests.length,
      injectFailure: () => fake.failNext(500, 10),
      close: fake.close,
    };
  },
}));
