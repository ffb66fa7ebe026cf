import { afterEach, describe, expect, it } from 'vitest';
import { retrainKubeflow } from '../../src/actions/retrain-kubeflow/action.js';
import type { KubeflowParams } from '../../src/actions/retrain-kubeflow/params.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type FakeKubeflow, startFakeKubeflow } from '../support/fake-kubeflow.js';
import { actionFailure, httpActionEnv } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'kfp-token-0987';
const env = { KFP_TOKEN: token };

let kfp: FakeKubeflow | undefined;
afterEach(async () => {
  await kfp?.close();
  kfp = undefined;
});

async function start(): Promise<FakeKubeflow> {
  kfp = await startFakeKubeflow({ token, pipelines: ['retrain-pipeline'] });
  return kfp;
}

function params(fake: FakeKubeflow, extra: Record<string, unknown> = {}): KubeflowParams {
  return retrainKubeflow.params.parse({
    url: fake.url,
    pipelineId: 'retrain-pipeline',
    token: { env: 'KFP_TOKEN' },
    ...extra,
  });
}

describe('retrain.kubeflow', () => {
  it('looks the step run up by display name first, creates it once, and then finds it', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const p = params(fake, {
      experimentId: 'exp-1',
      pipelineVersionId: 'v7',
      parameters: { model: 'fraud' },
    });
    const first = await retrainKubeflow.run(context(), p);
    expect(first.status).toBe('changed');
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(JSON.parse(fake.requests[0]!.query.get('filter')!)).toEqual({
      predicates: [
        { key: 'display_name', operation: 'EQUALS', string_value: 'salve-heal_01jdx0000000000000000000-1' },
      ],
    });
    expect(fake.requests[0]!.query.get('experiment_id')).toBe('exp-1');
    expect(fake.runs[0]).toMatchObject({
      display_name: 'salve-heal_01jdx0000000000000000000-1',
      experiment_id: 'exp-1',
      pipeline_version_reference: { pipeline_id: 'retrain-pipeline', pipeline_version_id: 'v7' },
      runtime_config: { parameters: { model: 'fraud' } },
    });
    const again = await retrainKubeflow.run(context({ attempt: 2 }), p);
    expect(again.status).toBe('unchanged');
    expect(again.data).toMatchObject({ runId: fake.runs[0]!.run_id });
    expect(fake.runs).toHaveLength(1);
  });

  it('creates no second run when a lookup answer was lost (the next attempt looks again first)', async () => {
    const fake = await start();
    fake.loseNextReply(1, /^GET /);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      retrainKubeflow.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    const result = await retrainKubeflow.run(context({ attempt: 1 }), params(fake, { timeout: '150ms' }));
    expect(result.status).toBe('changed');
    expect(fake.runs).toHaveLength(1);
  });

  it('after a lost create answer, the next attempt finds its own run and does not create another', async () => {
    const fake = await start();
    fake.loseNextReply(1, /^POST /);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      retrainKubeflow.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    const result = await retrainKubeflow.run(context({ attempt: 1 }), params(fake, { timeout: '150ms' }));
    expect(result.status).toBe('unchanged');
    expect(result.detail).toContain('already exists for this heal step');
    expect(fake.runs).toHaveLength(1);
    expect(fake.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
  });

  it('fails an unknown pipeline (404) for good and a 5xx retryably, with no retry inside the run', async () => {
    const fake = await start();
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(retrainKubeflow.run(context(), params(fake, { pipelineId: 'nope' })));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_NOT_FOUND', retryable: false });
    expect(fake.requests).toHaveLength(2);
    fake.failNext(500, 1);
    const failed = await actionFailure(retrainKubeflow.run(context({ attempt: 0 }), params(fake)));
    expect(failed).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect((await retrainKubeflow.run(context({ attempt: 1 }), params(fake))).status).toBe('changed');
    expect(clock.sleeps).toEqual([]);
  });

  it('fails retryably after the configured timeout', async () => {
    const fake = await start();
    fake.failNext('hang', 2);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(retrainKubeflow.run(context(), params(fake, { timeout: '100ms' })));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(err.message).toContain('no answer within 100 ms');
    expect(fake.requests).toHaveLength(1);
  });

  it('names the token source, not the token, when Kubeflow refuses it', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, { KFP_TOKEN: 'bad-kfp-token' });
    const err = await actionFailure(retrainKubeflow.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false });
    expect(err.message).toContain('environment variable KFP_TOKEN');
    expect(err.message).not.toContain('bad-kfp-token');
  });
});
