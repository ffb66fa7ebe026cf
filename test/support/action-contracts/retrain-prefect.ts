import { retrainPrefect } from '../../../src/actions/retrain-prefect/action.js';
import type { PrefectParams } from '../../../src/actions/retrain-prefect/params.js';
import type { TargetRef } from '../../../src/actions/types.js';
import type { ContractSetup } from '../action-contract.js';
import { type FakePrefectAuth, startFakePrefect } from '../fake-prefect.js';
import { httpActionEnv } from '../fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const authString = 'salve:pr3fect-pass-word';
const apiKey = 'pnu_contractkey0123456789abcdefghijkl';
const env = { PREFECT_AUTH: authString, PREFECT_API_KEY: apiKey };
const deployment = { flow: 'retrain-fraud', name: 'nightly', parameters: { model: 'default' } };
const base = {
  deployment: 'retrain-fraud/nightly',
  parameters: { model: 'fraud' },
  waitForCompletion: true,
};

// Self-hosted with its auth string, and Cloud with an API key: the same REST contract behind both.
const variants: Array<{ name: string; auth: FakePrefectAuth; params: Record<string, unknown> }> = [
  {
    name: 'retrain.prefect (self-hosted, auth string)',
    auth: { kind: 'basic', authString },
    params: {
      ...base,
      url: 'http://prefect.invalid:4200/api',
      auth: { authString: { env: 'PREFECT_AUTH' } },
    },
  },
  {
    name: 'retrain.prefect (Prefect Cloud, API key)',
    auth: {
      kind: 'cloud',
      account: '0f2b5d4e-1111-4c3a-9d7e-2a6b8c9d0e1f',
      workspace: '7e6d5c4b-2222-4a1b-8c9d-0e1f2a3b4c5d',
      apiKey,
    },
    params: { ...base, url: 'http://prefect.invalid/api', auth: { token: { env: 'PREFECT_API_KEY' } } },
  },
];

export const contracts: ReadonlyArray<ContractSetup<PrefectParams>> = variants.map((v) => ({
  name: v.name,
  action: retrainPrefect,
  params: v.params,
  target,
  async start() {
    const fake = await startFakePrefect({ deployments: [deployment], auth: v.auth });
    const { context } = httpActionEnv(target, env);
    return {
      context: (heal) => context(heal),
      params: { ...v.params, url: fake.apiUrl },
      inspect: async () => fake.runs.map((r) => [r.idempotency_key, r.parameters]),
      requestCount: () => fake.requests.length,
      injectFailure: () => fake.failNext(503, 10),
      close: fake.close,
    };
  },
}));
