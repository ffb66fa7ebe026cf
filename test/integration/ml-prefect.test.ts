import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { retrainPrefect } from '../../src/actions/retrain-prefect/action.js';
import type { FakePrefect, FakePrefectAuth } from '../support/fake-prefect.js';
import { actionFailure, httpActionEnv } from '../support/fake-webhook.js';
import {
  authString,
  closePrefect,
  env,
  runKey as key,
  nightly,
  prefectParams as params,
  startPrefect as start,
  target,
} from '../support/prefect-action.js';

afterEach(closePrefect);

const account = '0f2b5d4e-1111-4c3a-9d7e-2a6b8c9d0e1f';
const workspace = '7e6d5c4b-2222-4a1b-8c9d-0e1f2a3b4c5d';
const apiKey = 'pnu_cloudkey0123456789abcdefghijklmnop';

describe('retrain.prefect against a self-hosted Prefect 3 server', () => {
  it('looks the deployment up by name and creates one flow run keyed by the heal step', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    const result = await retrainPrefect.run(
      context(),
      params(fake, { parameters: { model: 'fraud' }, tags: ['drift'] }),
    );
    expect(result.status).toBe('changed');
    const run = fake.runs[0]!;
    expect(result.detail).toBe(`created flow run ${key} (${run.id}) of deployment retrain-fraud/nightly`);
    expect(result.data).toEqual({
      deployment: 'retrain-fraud/nightly',
      deploymentId: fake.deploymentId('retrain-fraud', 'nightly'),
      flowRunId: run.id,
      flowRun: key,
      idempotencyKey: key,
      state: 'SCHEDULED',
      prefect: fake.apiUrl,
    });
    expect(run).toMatchObject({
      name: key,
      idempotency_key: key,
      // The deployment's parameters, updated with the step's; its tags, with the step's and salve's.
      parameters: { model: 'fraud', epochs: 3 },
      tags: ['ml', 'salve', 'drift'],
    });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/deployments/name/retrain-fraud/nightly',
      `POST /api/deployments/${fake.deploymentId('retrain-fraud', 'nightly')}/create_flow_run`,
    ]);
    expect(fake.requests[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from(authString).toString('base64')}`,
    );
  });

  it('finds its own run on a repeat of the step (Prefect answers 200 with it) and creates another for the next step', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, env);
    await retrainPrefect.run(context(), params(fake));
    const again = await retrainPrefect.run(context({ attempt: 2 }), params(fake));
    expect(again.status).toBe('unchanged');
    expect(again.detail).toBe(
      `flow run ${key} (${fake.runs[0]!.id}) of deployment retrain-fraud/nightly was already created by this heal step (Scheduled)`,
    );
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST' });
    expect(fake.runs).toHaveLength(1);
    const next = await retrainPrefect.run(context({ step: 2 }), params(fake));
    expect(next.status).toBe('changed');
    expect(fake.runs.map((r) => r.idempotency_key)).toEqual([key, 'salve-heal_01jdx0000000000000000000-2']);
  });

  it('after a lost create answer, the next attempt finds its own run and creates no other', async () => {
    const fake = await start();
    fake.loseNextReply(1, /create_flow_run$/);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      retrainPrefect.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(lost.message).toContain('no answer within 150 ms');
    const next = await retrainPrefect.run(context({ attempt: 1 }), params(fake));
    expect(next.status).toBe('unchanged');
    expect(next.detail).toContain('was already created by this heal step');
    expect(fake.runs).toHaveLength(1);
  });

  it('sends each request once: a 5xx fails the attempt, retryably, for the engine to try again', async () => {
    const fake = await start();
    fake.failNext(503, 1);
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(retrainPrefect.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(err.message).toBe(
      `Prefect GET ${fake.apiUrl}/deployments/name/retrain-fraud/nightly: HTTP 503: injected fault`,
    );
    expect(fake.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect((await retrainPrefect.run(context({ attempt: 2 }), params(fake))).status).toBe('changed');
  });

  it('names a missing deployment, and a URL that is not the API base, without retrying', async () => {
    const fake = await start();
    const { context, clock } = httpActionEnv(target, env);
    const missing = await actionFailure(
      retrainPrefect.run(context(), params(fake, { deployment: 'retrain-fraud/hourly' })),
    );
    expect(missing).toMatchObject({ code: 'SALVE_HTTP_NOT_FOUND', retryable: false });
    expect(missing.message).toBe(
      `Prefect at ${fake.apiUrl} has no deployment retrain-fraud/hourly (flow retrain-fraud, deployment hourly)`,
    );
    const wrongBase = await actionFailure(retrainPrefect.run(context(), params(fake, { url: fake.url })));
    expect(wrongBase.code).toBe('SALVE_HTTP_NOT_FOUND');
    expect(wrongBase.message).toContain(
      "answers like Prefect's API (HTTP 404: Not Found): url is the API's base",
    );
    expect(clock.sleeps).toEqual([]);
    expect(fake.runs).toEqual([]);
  });

  it('says what Prefect refused: parameters that do not fit an enforced schema (409)', async () => {
    const fake = await start([{ ...nightly, schema: { epochs: 'integer' } }]);
    const { context } = httpActionEnv(target, env);
    // A template renders text: "5" is not an integer for Prefect.
    const err = await actionFailure(
      retrainPrefect.run(context(), params(fake, { parameters: { epochs: '5' } })),
    );
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REJECTED', retryable: false });
    expect(err.message).toContain("HTTP 409: Error creating flow run: Validation failed for field 'epochs'");
    // A literal number in the policy stays a number.
    expect((await retrainPrefect.run(context(), params(fake, { parameters: { epochs: 5 } }))).status).toBe(
      'changed',
    );
  });

  it('is checked against a fake that refuses unknown keys with 422, as Prefect does', async () => {
    const fake = await start([nightly], { kind: 'none' });
    const id = fake.deploymentId('retrain-fraud', 'nightly');
    const reply = await axios.post(
      `${fake.apiUrl}/deployments/${id}/create_flow_run`,
      { name: 'x', run_name: 'y' },
      { validateStatus: () => true },
    );
    expect(reply.status).toBe(422);
    expect(reply.data.exception_detail[0]).toMatchObject({
      type: 'extra_forbidden',
      loc: ['body', 'run_name'],
    });
    const again = await axios.post(
      `${fake.apiUrl}/deployments/${id}/create_flow_run`,
      { idempotency_key: 'k' },
      { validateStatus: () => true },
    );
    const repeat = await axios.post(
      `${fake.apiUrl}/deployments/${id}/create_flow_run`,
      { idempotency_key: 'k', parameters: { model: 'other' } },
      { validateStatus: () => true },
    );
    expect([again.status, repeat.status]).toEqual([201, 200]);
    expect(repeat.data.id).toBe(again.data.id);
    expect(repeat.data.parameters).toEqual(again.data.parameters);
  });

  it('names the auth string source, never its value, when Prefect refuses it (401)', async () => {
    const fake = await start();
    const { context, logs } = httpActionEnv(target, { PREFECT_AUTH: 'salve:wrong-secret-value' });
    const err = await actionFailure(retrainPrefect.run(context(), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_UNAUTHORIZED', retryable: false });
    expect(err.message).toBe(
      `Prefect GET ${fake.apiUrl}/deployments/name/retrain-fraud/nightly: HTTP 401: Unauthorized (credentials refused: the auth string from environment variable PREFECT_AUTH)`,
    );
    for (const text of [err.message, JSON.stringify(err.details), logs.text()]) {
      expect(text).not.toContain('wrong-secret-value');
    }
    expect(fake.requests).toHaveLength(1);
  });

  it('takes basic auth as username and password too, and fails without a request when the variable is unset', async () => {
    const fake = await start();
    const { context } = httpActionEnv(target, { PREFECT_PASSWORD: 'pr3fect-pass-word' });
    const basic = { username: 'salve', password: { env: 'PREFECT_PASSWORD' } };
    expect((await retrainPrefect.run(context(), params(fake, { auth: basic }))).status).toBe('changed');
    const unset = await actionFailure(retrainPrefect.run(httpActionEnv(target, {}).context(), params(fake)));
    expect(unset.retryable).toBe(false);
    expect(unset.message).toBe('credential variable PREFECT_AUTH is not set');
    expect(fake.requests).toHaveLength(2);
  });
});

describe('retrain.prefect against Prefect Cloud', () => {
  const cloud: FakePrefectAuth = { kind: 'cloud', account, workspace, apiKey, readOnlyKey: 'pnu_readonly' };
  const cloudParams = (fake: FakePrefect, extra: Record<string, unknown> = {}) =>
    params(fake, { auth: { token: { env: 'PREFECT_API_KEY' } }, ...extra });

  it('sends the API key as a Bearer token under the account and workspace path', async () => {
    const fake = await start([nightly], cloud);
    const { context } = httpActionEnv(target, { PREFECT_API_KEY: apiKey });
    expect((await retrainPrefect.run(context(), cloudParams(fake))).status).toBe('changed');
    expect(fake.requests[0]!.path).toBe(
      `/api/accounts/${account}/workspaces/${workspace}/deployments/name/retrain-fraud/nightly`,
    );
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${apiKey}`);
  });

  it('tells a refused key (401) from a key without permission (403)', async () => {
    const fake = await start([nightly], cloud);
    const refused = await actionFailure(
      retrainPrefect.run(
        httpActionEnv(target, { PREFECT_API_KEY: 'pnu_revoked' }).context(),
        cloudParams(fake),
      ),
    );
    expect(refused.code).toBe('SALVE_HTTP_UNAUTHORIZED');
    expect(refused.message).toContain(
      '(credentials refused: the API key from environment variable PREFECT_API_KEY)',
    );
    const readOnly = await actionFailure(
      retrainPrefect.run(
        httpActionEnv(target, { PREFECT_API_KEY: 'pnu_readonly' }).context(),
        cloudParams(fake),
      ),
    );
    expect(readOnly.code).toBe('SALVE_HTTP_FORBIDDEN');
    expect(readOnly.message).toContain(
      '(lacks permission: the API key from environment variable PREFECT_API_KEY was accepted but lacks permission for this request)',
    );
    expect(`${refused.message}${readOnly.message}`).not.toContain('pnu_');
  });

  it('refuses a Cloud URL without its account and workspace, or without an API key, at load', () => {
    const bad = retrainPrefect.params.safeParse({
      url: 'https://api.prefect.cloud/api',
      deployment: 'retrain-fraud/nightly',
      auth: { authString: { env: 'X' } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'url',
        'expected https://api.prefect.cloud/api/accounts/<account id>/workspaces/<workspace id> (PREFECT_API_URL)',
      ],
      ['auth', 'Prefect Cloud takes an API key: auth: { token: { env: PREFECT_API_KEY } }'],
    ]);
    const good = retrainPrefect.params.safeParse({
      url: `https://api.prefect.cloud/api/accounts/${account}/workspaces/${workspace}`,
      deployment: 'retrain-fraud/nightly',
      auth: { token: { env: 'PREFECT_API_KEY' } },
    });
    expect(good.success).toBe(true);
  });
});
