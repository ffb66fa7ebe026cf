import { retrainPrefect } from '../../src/actions/retrain-prefect/action.js';
import type { PrefectParams } from '../../src/actions/retrain-prefect/params.js';
import type { TargetRef } from '../../src/actions/types.js';
import {
  type FakeDeployment,
  type FakePrefect,
  type FakePrefectAuth,
  startFakePrefect,
} from './fake-prefect.js';

// What the retrain.prefect tests share: the target, a self-hosted server's auth string, the deployment they
// run, and a fake Prefect started per test (closed by `closePrefect` in afterEach).

export const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
export const authString = 'salve:pr3fect-pass-word';
export const env = { PREFECT_AUTH: authString };
export const auth = { authString: { env: 'PREFECT_AUTH' } };
/** The flow run name and idempotency key of the default heal step. */
export const runKey = 'salve-heal_01jdx0000000000000000000-1';
export const nightly: FakeDeployment = {
  flow: 'retrain-fraud',
  name: 'nightly',
  parameters: { model: 'default', epochs: 3 },
  tags: ['ml'],
};

let prefect: FakePrefect | undefined;

export async function startPrefect(
  deployments: FakeDeployment[] = [nightly],
  fakeAuth: FakePrefectAuth = { kind: 'basic', authString },
): Promise<FakePrefect> {
  prefect = await startFakePrefect({ deployments, auth: fakeAuth });
  return prefect;
}

export async function closePrefect(): Promise<void> {
  await prefect?.close();
  prefect = undefined;
}

export function prefectParams(fake: FakePrefect, extra: Record<string, unknown> = {}): PrefectParams {
  return retrainPrefect.params.parse({
    url: fake.apiUrl,
    deployment: 'retrain-fraud/nightly',
    auth,
    ...extra,
  });
}
