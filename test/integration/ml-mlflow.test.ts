import { afterEach, describe, expect, it } from 'vitest';
import { mlflowAlias } from '../../src/actions/mlflow-alias/action.js';
import type { MlflowAliasParams } from '../../src/actions/mlflow-alias/params.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type FakeMlflow, type FakeModel, startFakeMlflow } from '../support/fake-mlflow.js';
import { actionFailure, httpActionEnv } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' };
const token = 'mlflow-token-value-123';
const env = { MLFLOW_TOKEN: token };
const fraud: FakeModel = {
  name: 'fraud',
  versions: [
    { version: 1 },
    { version: 2 },
    { version: 3 },
    { version: 4, status: 'FAILED_REGISTRATION' },
    { version: 5 },
  ],
  aliases: { champion: 5, challenger: 4 },
};
const healTag = 'salve.heal/champion';

let mlflow: FakeMlflow | undefined;
afterEach(async () => {
  await mlflow?.close();
  mlflow = undefined;
});

async function start(models: FakeModel[] = [fraud]): Promise<FakeMlflow> {
  mlflow = await startFakeMlflow({ models, token });
  return mlflow;
}

function params(fake: FakeMlflow, extra: Record<string, unknown> = {}): MlflowAliasParams {
  return mlflowAlias.params.parse({
    url: fake.url,
    model: 'fraud',
    auth: { token: { env: 'MLFLOW_TOKEN' } },
    ...extra,
  });
}

describe('mlflow.alias rolls an alias back', () => {
  it('to the newest READY version below the current one, recording the plan before the move', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const result = await mlflowAlias.run(context(), params(fake));
    expect(result.status).toBe('changed');
    expect(result.detail).toBe(
      'moved alias champion of fraud from version 5 to 3: the newest READY version older than 5; passed over 4 (FAILED_REGISTRATION)',
    );
    expect(result.data).toMatchObject({ model: 'fraud', alias: 'champion', fromVersion: 5, toVersion: 3 });
    expect(fake.alias('fraud', 'champion')).toBe(3);
    const moved = 'heal heal_01jdx0000000000000000000 step 1: champion 5 -> 3';
    expect(fake.writes).toEqual([
      `tag ${healTag}=heal_01jdx0000000000000000000/1:5->3`,
      'alias champion=3',
      `version 3 tag salve.moved_to/champion=${moved}`,
      `version 5 tag salve.moved_from/champion=${moved}`,
      `tag ${healTag}=heal_01jdx0000000000000000000/1:5->3 done`,
    ]);
    // Five versions at two per page: every page was read.
    expect(fake.requests.filter((r) => r.path.endsWith('/model-versions/search'))).toHaveLength(3);
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('does not move it again on a repeat of the same step, but does for the next step', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    await mlflowAlias.run(context(), params(fake));
    const again = await mlflowAlias.run(context({ attempt: 2 }), params(fake));
    expect(again.status).toBe('unchanged');
    expect(again.detail).toContain('already moved by this heal step');
    expect(fake.alias('fraud', 'champion')).toBe(3);
    expect(fake.writes).toHaveLength(5);
    const next = await mlflowAlias.run(context({ step: 2 }), params(fake));
    expect(next.status).toBe('changed');
    expect(fake.alias('fraud', 'champion')).toBe(2);
  });

  it('sees its own move after a crash that lost the answer, instead of rolling back one version further', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    fake.loseNextReply(1, /registered-models\/alias$/);
    const lost = await actionFailure(mlflowAlias.run(context(), params(fake, { timeout: '150ms' })));
    expect(lost.retryable).toBe(true);
    expect(fake.alias('fraud', 'champion')).toBe(3);
    const rerun = await mlflowAlias.run(context({ attempt: 2 }), params(fake));
    // The move was this step's: changed, and its bookkeeping (version tags, plan done) completed.
    expect(rerun.status).toBe('changed');
    expect(rerun.detail).toContain('(completed on retry)');
    expect(fake.alias('fraud', 'champion')).toBe(3);
    expect(fake.versionTag('fraud', 3, 'salve.moved_to/champion')).toContain('heal_01jdx0000000000000000000');
    expect(fake.tag('fraud', healTag)).toMatch(/ done$/);
    const third = await mlflowAlias.run(context({ attempt: 3 }), params(fake));
    expect(third.status).toBe('unchanged');
  });

  it('finishes the recorded plan when the step stopped between recording it and moving the alias', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    fake.failNext(503, 1, /registered-models\/alias$/);
    await actionFailure(mlflowAlias.run(context(), params(fake)));
    expect(fake.tag('fraud', healTag)).toBe('heal_01jdx0000000000000000000/1:5->3');
    expect(fake.alias('fraud', 'champion')).toBe(5);
    const rerun = await mlflowAlias.run(context({ attempt: 2 }), params(fake));
    expect(rerun.status).toBe('changed');
    expect(fake.alias('fraud', 'champion')).toBe(3);
  });

  it('leaves an alias that someone moved after the step alone', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    await mlflowAlias.run(context(), params(fake));
    fake.setAlias('fraud', 'champion', 5);
    const rerun = await mlflowAlias.run(context({ attempt: 2 }), params(fake));
    expect(rerun.status).toBe('unchanged');
    expect(rerun.detail).toContain('moved since');
    expect(fake.alias('fraud', 'champion')).toBe(5);
  });

  it('moves to a given version, also when a template rendered it as digits', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const result = await mlflowAlias.run(context(), params(fake, { toVersion: '2' }));
    expect(result.status).toBe('changed');
    expect(fake.alias('fraud', 'champion')).toBe(2);
  });

  it('answers unchanged without writing when the alias already points at the given version', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const result = await mlflowAlias.run(context(), params(fake, { toVersion: 5 }));
    expect(result.status).toBe('unchanged');
    expect(fake.writes).toEqual([]);
  });

  it('refuses a version that does not exist or is not READY, and a model without an older version', async () => {
    const fake = await start([
      fraud,
      { name: 'fresh', versions: [{ version: 1 }], aliases: { champion: 1 } },
    ]);
    const { context } = httpActionEnv(target, env);
    const missing = await actionFailure(mlflowAlias.run(context(), params(fake, { toVersion: 9 })));
    expect(missing).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(missing.message).toBe('MLflow model fraud has no version 9');
    const broken = await actionFailure(mlflowAlias.run(context(), params(fake, { toVersion: 4 })));
    expect(broken.message).toContain('FAILED_REGISTRATION, not READY');
    const fresh = await actionFailure(mlflowAlias.run(context(), params(fake, { model: 'fresh' })));
    expect(fresh.message).toContain('no READY version older than 1');
    const noAlias = await actionFailure(mlflowAlias.run(context(), params(fake, { alias: 'staging' })));
    expect(noAlias.message).toContain('has no alias staging');
    expect(fake.writes).toEqual([]);
  });

  it('with requireTags, moves only to a version that carries them, and says which it passed over', async () => {
    const validated: FakeModel = {
      name: 'fraud',
      versions: [
        { version: 1, tags: { validation_status: 'passed' } },
        { version: 2, tags: { validation_status: 'passed', owner: 'ml' } },
        { version: 3, tags: { validation_status: 'failed' } },
        { version: 4 },
        { version: 5, tags: { validation_status: 'passed' } },
      ],
      aliases: { champion: 5 },
    };
    const fake = await start([validated]);
    const { context } = httpActionEnv(target, env);
    const result = await mlflowAlias.run(
      context(),
      params(fake, { requireTags: { validation_status: 'passed' } }),
    );
    expect(fake.alias('fraud', 'champion')).toBe(2);
    expect(result.detail).toBe(
      'moved alias champion of fraud from version 5 to 2: the newest READY version older than 5 with tags validation_status=passed; passed over 4 (no tag validation_status), 3 (validation_status=failed)',
    );
    expect(result.data).toMatchObject({
      fromVersion: 5,
      toVersion: 2,
      passedOver: [
        { version: 4, why: 'no tag validation_status' },
        { version: 3, why: 'validation_status=failed' },
      ],
    });
    // Traceable in MLflow: both versions name the heal and step that moved the alias.
    const value = 'heal heal_01jdx0000000000000000000 step 1: champion 5 -> 2';
    expect(fake.versionTag('fraud', 2, 'salve.moved_to/champion')).toBe(value);
    expect(fake.versionTag('fraud', 5, 'salve.moved_from/champion')).toBe(value);
    expect(fake.versionTag('fraud', 3, 'salve.moved_to/champion')).toBeUndefined();
  });

  it('with requireTags, refuses when no older version carries them, and an explicit version without them', async () => {
    const fake = await start([
      {
        name: 'fraud',
        versions: [{ version: 1, tags: { validation_status: 'failed' } }, { version: 2 }, { version: 3 }],
        aliases: { champion: 3 },
      },
    ]);
    const { context } = httpActionEnv(target, env);
    const requireTags = { validation_status: 'passed' };
    const none = await actionFailure(mlflowAlias.run(context(), params(fake, { requireTags })));
    expect(none).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
    expect(none.message).toBe(
      'MLflow model fraud has no READY version older than 3 with tags validation_status=passed (alias champion); passed over 2 (no tag validation_status), 1 (validation_status=failed)',
    );
    const explicit = await actionFailure(
      mlflowAlias.run(context(), params(fake, { requireTags, toVersion: 1 })),
    );
    expect(explicit.message).toBe(
      'version 1 of MLflow model fraud is not known good: validation_status=failed (requireTags validation_status=passed)',
    );
    expect(fake.writes).toEqual([]);
    expect(mlflowAlias.describe(target, params(fake, { requireTags }))).toContain(
      'the newest older READY version tagged validation_status=passed',
    );
  });

  it('fails clearly and without retry on an unknown model (RESOURCE_DOES_NOT_EXIST)', async () => {
    const fake = await start();
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(mlflowAlias.run(context(), params(fake, { model: 'nope' })));
    expect(err.code).toBe('SALVE_HTTP_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(
      /^MLflow has no registered model "nope": .*HTTP 404: RESOURCE_DOES_NOT_EXIST/,
    );
    expect(fake.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('mlflow.alias over a flaky or hostile network', () => {
  it('fails a 5xx retryably with no retry inside the run; the next attempt succeeds', async () => {
    const fake = await start();
    fake.failNext(500, 1, /registered-models\/get$/);
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(mlflowAlias.run(context({ attempt: 0 }), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(fake.requests).toHaveLength(1);
    const result = await mlflowAlias.run(context({ attempt: 1 }), params(fake));
    expect(result.status).toBe('changed');
    expect(clock.sleeps).toEqual([]);
  });

  it('does not retry a 400', async () => {
    const fake = await start();
    fake.failNext(400, 5);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(mlflowAlias.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REJECTED', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('fails retryably after the configured timeout', async () => {
    const fake = await start();
    fake.failNext('hang', 3);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(
      mlflowAlias.run(context(), params(fake, { timeout: '100ms', retries: 2 })),
    );
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(err.message).toContain('no answer within 100 ms');
    // One request, whatever the deprecated `retries` says: the engine retries the step.
    expect(fake.requests).toHaveLength(1);
  });

  it('names the token variable, not the token, when MLflow refuses it', async () => {
    const fake = await start();
    const { context, logs } = httpActionEnv(target, { MLFLOW_TOKEN: 'stale-token-456' });
    const err = await actionFailure(mlflowAlias.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false });
    expect(err.message).toContain('UNAUTHENTICATED');
    expect(err.message).toContain('credentials refused: the token from environment variable MLFLOW_TOKEN');
    expect(err.message).not.toContain('stale-token-456');
    expect(logs.text()).not.toContain('stale-token-456');
  });
});

describe('mlflow.alias parameters', () => {
  it('default the alias to champion and refuse quotes in model names and reserved aliases', () => {
    const base = { url: 'http://mlflow:5000', model: 'fraud' };
    expect(mlflowAlias.params.parse(base).alias).toBe('champion');
    expect(mlflowAlias.params.safeParse({ ...base, model: "x' OR name='y" }).success).toBe(false);
    expect(mlflowAlias.params.safeParse({ ...base, alias: 'latest' }).success).toBe(false);
    expect(mlflowAlias.params.safeParse({ ...base, alias: 'v3' }).success).toBe(false);
    expect(mlflowAlias.params.safeParse({ ...base, toVersion: 0 }).success).toBe(false);
    expect(mlflowAlias.params.safeParse({ ...base, toVersion: '07' }).success).toBe(false);
  });
});
