import { afterEach, describe, expect, it } from 'vitest';
import { retrainArgo } from '../../src/actions/retrain-argo/action.js';
import type { ArgoParams } from '../../src/actions/retrain-argo/params.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type FakeArgo, startFakeArgo } from '../support/fake-argo.js';
import { actionFailure, httpActionEnv } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const token = 'argo-token-abcdef';
const env = { ARGO_TOKEN: token };

let argo: FakeArgo | undefined;
afterEach(async () => {
  await argo?.close();
  argo = undefined;
});

async function start(): Promise<FakeArgo> {
  argo = await startFakeArgo({ token, templates: { 'ml-prod': ['retrain'], 'ml-train': ['retrain'] } });
  return argo;
}

function params(fake: FakeArgo, extra: Record<string, unknown> = {}): ArgoParams {
  return retrainArgo.params.parse({
    url: fake.url,
    workflowTemplate: 'retrain',
    token: { env: 'ARGO_TOKEN' },
    ...extra,
  });
}

describe('retrain.argo', () => {
  it('submits the WorkflowTemplate once per heal step under a name derived from the heal', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const p = params(fake, { parameters: { model: 'fraud', reason: 'drift=0.3' } });
    const first = await retrainArgo.run(context(), p);
    expect(first.status).toBe('changed');
    expect(first.data).toMatchObject({
      namespace: 'ml-prod',
      workflow: 'salve-heal-01jdx0000000000000000000-1',
    });
    const wf = fake.workflows[0]!;
    expect(wf.metadata.name).toBe('salve-heal-01jdx0000000000000000000-1');
    expect(wf.spec.arguments.parameters).toEqual([
      { name: 'model', value: 'fraud' },
      { name: 'reason', value: 'drift=0.3' },
    ]);
    expect(wf.metadata.labels).toEqual({
      'salve.dev/heal': 'heal_01jdx0000000000000000000',
      'salve.dev/policy': 'model-retrain',
    });
    const again = await retrainArgo.run(context({ attempt: 2 }), p);
    expect(again.status).toBe('unchanged');
    expect(again.detail).toContain('already submitted');
    await retrainArgo.run(context({ step: 2 }), p);
    expect(fake.workflows.map((w) => w.metadata.name)).toEqual([
      'salve-heal-01jdx0000000000000000000-1',
      'salve-heal-01jdx0000000000000000000-2',
    ]);
  });

  it('submits into the namespace the policy names instead of the target namespace', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    await retrainArgo.run(context(), params(fake, { namespace: 'ml-train' }));
    expect(fake.requests[0]!.path).toBe('/api/v1/workflows/ml-train/submit');
    expect(fake.workflows[0]!.metadata.namespace).toBe('ml-train');
  });

  it('after its own unanswered submit, the next attempt meets 409 and submits only once', async () => {
    const fake = await start();
    fake.loseNextReply(1);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      retrainArgo.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    const result = await retrainArgo.run(context({ attempt: 1 }), params(fake, { timeout: '150ms' }));
    expect(result.status).toBe('unchanged');
    expect(result.detail).toContain('already submitted by this heal step');
    expect(fake.workflows).toHaveLength(1);
  });

  it('fails a 5xx retryably with no retry inside the run; the next attempt submits', async () => {
    const fake = await start();
    fake.failNext(503, 1);
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(retrainArgo.run(context({ attempt: 0 }), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect((await retrainArgo.run(context({ attempt: 1 }), params(fake))).status).toBe('changed');
    expect(clock.sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(2);
  });

  it('does not retry an unknown template (404)', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(retrainArgo.run(context(), params(fake, { workflowTemplate: 'nope' })));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_NOT_FOUND', retryable: false });
    expect(err.message).toContain('workflowtemplates.argoproj.io "nope" not found');
    expect(fake.requests).toHaveLength(1);
  });

  it('fails retryably after the configured timeout', async () => {
    const fake = await start();
    fake.failNext('hang', 1);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(retrainArgo.run(context(), params(fake, { timeout: '100ms' })));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
  });

  it('names the token file, not the token, when Argo refuses it', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, { ARGO_TOKEN: 'expired-argo-token' });
    const err = await actionFailure(retrainArgo.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false });
    expect(err.message).toContain('credentials refused: the token from environment variable ARGO_TOKEN');
    expect(err.message).not.toContain('expired-argo-token');
  });

  it('describes the submission without I/O or credentials', () => {
    const text = retrainArgo.describe(
      target,
      retrainArgo.params.parse({
        url: 'https://argo:2746',
        workflowTemplate: 'retrain',
        token: { env: 'ARGO_TOKEN' },
      }),
    );
    expect(text).toBe(
      'would submit Argo WorkflowTemplate ml-prod/retrain at https://argo:2746 (for Model ml-prod/fraud)',
    );
  });
});
