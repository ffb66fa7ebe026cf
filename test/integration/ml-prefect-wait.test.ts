import { afterEach, describe, expect, it } from 'vitest';
import { retrainPrefect } from '../../src/actions/retrain-prefect/action.js';
import { httpActionEnv } from '../support/fake-webhook.js';
import {
  closePrefect,
  env,
  runKey as key,
  nightly,
  prefectParams as params,
  startPrefect as start,
  target,
} from '../support/prefect-action.js';

afterEach(closePrefect);

describe('retrain.prefect waiting for its flow run', () => {
  it('COMPLETED is done; SCHEDULED, PENDING, RUNNING, PAUSED, CANCELLING wait', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const p = params(fake, { waitForCompletion: true });
    await retrainPrefect.run(context(), p);
    const run = fake.runs[0]!;
    for (const type of ['SCHEDULED', 'PENDING', 'RUNNING', 'PAUSED', 'CANCELLING'] as const) {
      fake.setState(run.id, type);
      expect((await retrainPrefect.rolloutStatus!(context(), p)).state).toBe('waiting');
    }
    fake.setState(run.id, 'COMPLETED', 'All states completed.');
    expect(await retrainPrefect.rolloutStatus!(context(), p)).toEqual({
      state: 'done',
      detail: `flow run ${key} of deployment retrain-fraud/nightly is Completed (COMPLETED): All states completed.`,
    });
  });

  it.each(['FAILED', 'CRASHED', 'CANCELLED'] as const)(
    '%s fails the step with the state message',
    async (type) => {
      const fake = await start();
      const { context } = httpActionEnv(target, env);
      const p = params(fake, { waitForCompletion: true });
      await retrainPrefect.run(context(), p);
      fake.setState(
        fake.runs[0]!.id,
        type,
        `Flow run encountered an exception: ValueError: ${'x'.repeat(500)}`,
      );
      const state = await retrainPrefect.rolloutStatus!(context(), p);
      expect(state.state).toBe('failed');
      expect(state.detail).toMatch(
        new RegExp(
          `^flow run ${key} of deployment retrain-fraud/nightly is \\w+ \\(${type}\\): Flow run encountered an exception: ValueError: x+\\.\\.\\.$`,
        ),
      );
      expect(state.detail.length).toBeLessThan(500);
    },
  );

  it('says why a scheduled run does not start when no worker polls the deployment (NOT_READY)', async () => {
    const fake = await start([{ ...nightly, status: 'NOT_READY' }]);
    const { context } = httpActionEnv(target, env);
    const p = params(fake, { waitForCompletion: true });
    await retrainPrefect.run(context(), p);
    const state = await retrainPrefect.rolloutStatus!(context(), p);
    expect(state.state).toBe('waiting');
    expect(state.detail).toContain('the deployment is NOT_READY: no worker polls its work pool');
  });

  it('creates the run of a paused deployment and says the deployment is paused (Prefect still runs it)', async () => {
    const fake = await start([{ ...nightly, paused: true }]);
    const { context } = httpActionEnv(target, env);
    const result = await retrainPrefect.run(context(), params(fake));
    expect(result.status).toBe('changed');
    expect(result.data).toMatchObject({ deploymentPaused: true });
  });

  it('fails when its run is gone, and reports done without a request when not asked to wait', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const gone = await retrainPrefect.rolloutStatus!(context(), params(fake, { waitForCompletion: true }));
    expect(gone).toEqual({
      state: 'failed',
      detail: `Prefect has no flow run with idempotency key ${key} for deployment retrain-fraud/nightly: it was deleted`,
    });
    const before = fake.requests.length;
    expect((await retrainPrefect.rolloutStatus!(context(), params(fake))).state).toBe('done');
    expect(fake.requests).toHaveLength(before);
  });
});

describe('retrain.prefect parameters', () => {
  it.each([
    'retrain-fraud',
    'retrain-fraud/nightly/extra',
    '../nightly',
    'retrain-fraud/..',
    'retrain%2Ffraud/nightly',
    'a&b/nightly',
    ' retrain-fraud/nightly',
    'retrain-fraud/',
  ])('refuses the deployment %j', (deployment) => {
    const parsed = retrainPrefect.params.safeParse({ url: 'http://prefect:4200/api', deployment });
    expect(parsed.success).toBe(false);
  });

  it('accepts names Prefect accepts (spaces, dots, unicode inside)', () => {
    for (const deployment of ['retrain fraud/nightly run', 'ml.retrain/v2', 'modèle/nuit']) {
      expect(retrainPrefect.params.safeParse({ url: 'http://prefect:4200/api', deployment }).success).toBe(
        true,
      );
    }
  });

  it('encodes the names into the path: a space or a ? stays in its segment', async () => {
    const fake = await start([{ flow: 'retrain fraud', name: 'night?ly', parameters: {} }]);
    const { context } = httpActionEnv(target, env);
    const result = await retrainPrefect.run(
      context(),
      params(fake, { deployment: 'retrain fraud/night?ly' }),
    );
    expect(result.status).toBe('changed');
    expect(fake.requests[0]!.path).toBe('/api/deployments/name/retrain%20fraud/night%3Fly');
  });
});
