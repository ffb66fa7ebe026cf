import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { retrainAirflow } from '../../src/actions/retrain-airflow/action.js';
import type { AirflowParams } from '../../src/actions/retrain-airflow/params.js';
import type { TargetRef } from '../../src/actions/types.js';
import { type FakeAirflow, startFakeAirflow } from '../support/fake-airflow.js';
import { actionFailure, httpActionEnv } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const password = 's3cret-airflow-pw';
const env = { AIRFLOW_PASSWORD: password };
const auth = { username: 'salve', password: { env: 'AIRFLOW_PASSWORD' } };

let airflow: FakeAirflow | undefined;
afterEach(async () => {
  await airflow?.close();
  airflow = undefined;
});

async function start(version: 2 | 3): Promise<FakeAirflow> {
  airflow = await startFakeAirflow({ version, username: 'salve', password, dags: ['retrain_fraud'] });
  return airflow;
}

function params(fake: FakeAirflow, extra: Record<string, unknown> = {}): AirflowParams {
  return retrainAirflow.params.parse({ url: fake.url, dag: 'retrain_fraud', auth, ...extra });
}

describe('retrain.airflow against Airflow 2', () => {
  it('triggers one DAG run per heal step with basic auth, a tz-aware logical date and the conf', async () => {
    const fake = await start(2);
    const { context } = httpActionEnv(target, env);
    const result = await retrainAirflow.run(context(), params(fake, { conf: { model: 'fraud' } }));
    expect(result.status).toBe('changed');
    expect(result.data).toMatchObject({
      dag: 'retrain_fraud',
      dagRunId: 'salve-heal_01jdx0000000000000000000-1',
    });
    expect(fake.runs).toEqual([
      expect.objectContaining({
        dag_run_id: 'salve-heal_01jdx0000000000000000000-1',
        logical_date: '2026-11-27T03:00:00.000Z',
        conf: { model: 'fraud' },
        state: 'queued',
      }),
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/dags/retrain_fraud',
      'POST /api/v1/dags/retrain_fraud/dagRuns',
    ]);
    const post = fake.requests[1]!;
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from(`salve:${password}`).toString('base64')}`);
  });

  it('answers unchanged on a repeat of the same step (409) and starts a new run for the next step', async () => {
    const fake = await start(2);
    const { context, clock } = httpActionEnv(target, env);
    await retrainAirflow.run(context(), params(fake));
    const again = await retrainAirflow.run(context({ attempt: 2 }), params(fake));
    expect(again.status).toBe('unchanged');
    expect(again.detail).toContain('already triggered');
    await clock.sleep(60_000); // the next step comes after this one's verification
    const next = await retrainAirflow.run(context({ step: 2 }), params(fake));
    expect(next.status).toBe('changed');
    expect(fake.runs.map((r) => r.dag_run_id)).toEqual([
      'salve-heal_01jdx0000000000000000000-1',
      'salve-heal_01jdx0000000000000000000-2',
    ]);
  });

  it('fails a 5xx at once, retryable, for the engine to retry the step; the next attempt triggers the run', async () => {
    const fake = await start(2);
    fake.failNext(503, 1);
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(retrainAirflow.run(context({ attempt: 0 }), params(fake)));
    expect(err).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    expect(fake.requests).toHaveLength(1); // the DAG read, refused: no retry inside the run
    expect(clock.sleeps).toEqual([]);
    const result = await retrainAirflow.run(context({ attempt: 1 }), params(fake));
    expect(result.status).toBe('changed');
    expect(fake.requests).toHaveLength(3); // then read and triggered
  });

  it('makes one request per attempt against a peer that keeps failing, whatever the deprecated retries says', async () => {
    const fake = await start(2);
    fake.failNext(502, 10);
    const { context } = httpActionEnv(target, env);
    const err = await actionFailure(retrainAirflow.run(context(), params(fake, { retries: 3 })));
    expect(err.code).toBe('SALVE_HTTP_REQUEST_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).not.toContain('gave up');
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry a 4xx: an unknown DAG is a non-retryable not-found', async () => {
    const fake = await start(2);
    const { context, clock } = httpActionEnv(target, env);
    const err = await actionFailure(retrainAirflow.run(context(), params(fake, { dag: 'no_such_dag' })));
    expect(err.code).toBe('SALVE_HTTP_NOT_FOUND');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("DAG with dag_id: 'no_such_dag' not found");
    // One request to the DAG; the rest only ask which API this Airflow serves (the right one).
    expect(fake.requests.filter((r) => !r.path.endsWith('/version'))).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('fails retryably after the configured timeout when Airflow never answers', async () => {
    const fake = await start(2);
    fake.failNext('hang', 5);
    const { context } = httpActionEnv(target, env);
    const started = performance.now();
    const err = await actionFailure(retrainAirflow.run(context(), params(fake, { timeout: '150ms' })));
    expect(err.code).toBe('SALVE_HTTP_REQUEST_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('no answer within 150 ms');
    expect(fake.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('names the credential source, never its value, when Airflow refuses the password', async () => {
    const fake = await start(2);
    const { context, logs } = httpActionEnv(target, { AIRFLOW_PASSWORD: 'wrong-password-value' });
    const err = await actionFailure(retrainAirflow.run(context(), params(fake)));
    expect(err.code).toBe('SALVE_HTTP_UNAUTHORIZED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('user salve with the password from environment variable AIRFLOW_PASSWORD');
    expect(err.message).not.toContain('wrong-password-value');
    expect(JSON.stringify(err.details)).not.toContain('wrong-password-value');
    expect(String((err.cause as Error | undefined)?.message)).not.toContain('wrong-password-value');
    expect(logs.text()).not.toContain('wrong-password-value');
    expect(fake.requests).toHaveLength(1);
  });

  it('fails without any request when the credential variable is not set', async () => {
    const fake = await start(2);
    const { context } = httpActionEnv(target, {});
    const err = await actionFailure(retrainAirflow.run(context(), params(fake)));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('AIRFLOW_PASSWORD');
    expect(fake.requests).toHaveLength(0);
  });

  it('when the answer to its trigger was lost, the next attempt meets its own run and triggers no second', async () => {
    const fake = await start(2);
    fake.loseNextReply(1, /dagRuns$/);
    const { context } = httpActionEnv(target, env);
    const lost = await actionFailure(
      retrainAirflow.run(context({ attempt: 0 }), params(fake, { timeout: '150ms' })),
    );
    expect(lost).toMatchObject({ code: 'SALVE_HTTP_REQUEST_FAILED', retryable: true });
    const result = await retrainAirflow.run(context({ attempt: 1 }), params(fake, { timeout: '150ms' }));
    expect(result.status).toBe('unchanged');
    expect(result.detail).toContain('already triggered by this heal step');
    expect(fake.runs).toHaveLength(1);
  });

  it('fails retryably when another run holds the same logical date; the next attempt has a new one', async () => {
    const fake = await start(2);
    const { context, clock } = httpActionEnv(target, env);
    fake.runs.push({
      dag: 'retrain_fraud',
      dag_run_id: 'scheduled__2026-11-27T03:00:00+00:00',
      logical_date: '2026-11-27T03:00:00.000Z',
      conf: {},
      note: null,
      state: 'running',
    });
    const taken = await actionFailure(retrainAirflow.run(context({ attempt: 0 }), params(fake)));
    expect(taken).toMatchObject({ code: 'SALVE_HTTP_REJECTED', retryable: true });
    expect(taken.message).toContain('another run has the same logical date');
    await clock.sleep(1_000); // the engine's backoff before its next attempt
    const result = await retrainAirflow.run(context({ attempt: 1 }), params(fake));
    expect(result.status).toBe('changed');
    expect(fake.runs).toHaveLength(2);
    expect(fake.runs[1]!.logical_date).not.toBe('2026-11-27T03:00:00.000Z');
  });
});

describe('retrain.airflow against Airflow 3', () => {
  it('trades the password for a token at /auth/token and triggers with a Bearer header', async () => {
    const fake = await start(3);
    const { context } = httpActionEnv(target, env);
    const result = await retrainAirflow.run(
      context(),
      params(fake, { version: 3, conf: { model: 'fraud' } }),
    );
    expect(result.status).toBe('changed');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /auth/token',
      'GET /api/v2/dags/retrain_fraud',
      'POST /api/v2/dags/retrain_fraud/dagRuns',
    ]);
    expect(fake.requests[2]!.headers.authorization).toMatch(/^Bearer ey/);
    const again = await retrainAirflow.run(context({ attempt: 2 }), params(fake, { version: 3 }));
    expect(again.status).toBe('unchanged');
    expect(fake.runs).toHaveLength(1);
  });

  it('is checked against a fake that refuses unknown keys and a missing logical_date with 422', async () => {
    const fake = await start(3);
    const token = await axios.post(`${fake.url}/auth/token`, { username: 'salve', password });
    const reply = await axios.post(
      `${fake.url}/api/v2/dags/retrain_fraud/dagRuns`,
      { dag_run_id: 'x', execution_date: '2026-11-27T03:00:00Z' },
      { headers: { Authorization: `Bearer ${token.data.access_token}` }, validateStatus: () => true },
    );
    expect(reply.status).toBe(422);
    expect(reply.data.detail.map((d: { loc: string[] }) => d.loc[1])).toEqual([
      'execution_date',
      'logical_date',
    ]);
  });

  it('names the credential source when /auth/token refuses the password', async () => {
    const fake = await start(3);
    const { context } = httpActionEnv(target, { AIRFLOW_PASSWORD: 'not-the-password' });
    const err = await actionFailure(retrainAirflow.run(context(), params(fake, { version: 3 })));
    expect(err.code).toBe('SALVE_HTTP_UNAUTHORIZED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('/auth/token');
    expect(err.message).toContain('environment variable AIRFLOW_PASSWORD');
    expect(err.message).not.toContain('not-the-password');
  });

  it('watches the DAG run when asked to wait: queued and running wait, success is done, failed fails', async () => {
    const fake = await start(3);
    const { context } = httpActionEnv(target, env);
    const p = params(fake, { version: 3, waitForCompletion: true });
    await retrainAirflow.run(context(), p);
    const runId = fake.runs[0]!.dag_run_id;
    expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
    fake.setState(runId, 'running');
    expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
    fake.setState(runId, 'success');
    expect(await retrainAirflow.rolloutStatus!(context(), p)).toEqual({
      state: 'done',
      detail: `DAG run ${runId} of DAG retrain_fraud is success`,
    });
    fake.setState(runId, 'failed');
    expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('failed');
  });

  it('reports done at once, without a request, when not asked to wait', async () => {
    const fake = await start(3);
    const { context } = httpActionEnv(target, env);
    const state = await retrainAirflow.rolloutStatus!(context(), params(fake, { version: 3 }));
    expect(state.state).toBe('done');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('retrain.airflow as Airflow really behaves', () => {
  for (const version of [2, 3] as const) {
    it(`Airflow ${version}: refuses a paused DAG, naming the fix, and triggers nothing`, async () => {
      airflow = await startFakeAirflow({
        version,
        username: 'salve',
        password,
        dags: ['retrain_fraud'],
        paused: ['retrain_fraud'],
      });
      const { context } = httpActionEnv(target, env);
      const err = await actionFailure(retrainAirflow.run(context(), params(airflow, { version })));
      expect(err).toMatchObject({ code: 'SALVE_ACTION_REFUSED', retryable: false });
      expect(err.message).toBe(
        'Airflow DAG retrain_fraud is paused: a run triggered now would stay queued until someone unpauses it; unpause it in Airflow, or set unpause: true on this step',
      );
      expect(airflow.runs).toEqual([]);
    });

    it(`Airflow ${version}: with unpause: true, unpauses the DAG, triggers it, and says so`, async () => {
      airflow = await startFakeAirflow({
        version,
        username: 'salve',
        password,
        dags: ['retrain_fraud'],
        paused: ['retrain_fraud'],
      });
      const { context } = httpActionEnv(target, env);
      const result = await retrainAirflow.run(context(), params(airflow, { version, unpause: true }));
      expect(result.status).toBe('changed');
      expect(result.detail).toMatch(/^unpaused DAG retrain_fraud, then triggered DAG run salve-/);
      expect(result.data).toMatchObject({ unpaused: true });
      expect(airflow.isPaused('retrain_fraud')).toBe(false);
      const patch = airflow.requests.find((r) => r.method === 'PATCH')!;
      expect(patch.query.get('update_mask')).toBe('is_paused');
      expect(patch.body).toEqual({ is_paused: false });
      expect(airflow.runs).toHaveLength(1);
    });

    it(`Airflow ${version}: a DAG paused while its run waits fails the wait instead of waiting to the deadline`, async () => {
      airflow = await startFakeAirflow({ version, username: 'salve', password, dags: ['retrain_fraud'] });
      const { context } = httpActionEnv(target, env);
      const p = params(airflow, { version, waitForCompletion: true });
      await retrainAirflow.run(context(), p);
      expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
      airflow.pause('retrain_fraud');
      const state = await retrainAirflow.rolloutStatus!(context(), p);
      expect(state.state).toBe('failed');
      expect(state.detail).toContain('the DAG is paused');
    });

    const other = version === 2 ? 3 : 2;
    it(`Airflow ${version} with version: ${other} in the policy: the error names the version to set`, async () => {
      airflow = await startFakeAirflow({ version, username: 'salve', password, dags: ['retrain_fraud'] });
      const { context } = httpActionEnv(target, env);
      const err = await actionFailure(retrainAirflow.run(context(), params(airflow, { version: other })));
      expect(err).toMatchObject({ code: 'SALVE_HTTP_REJECTED', retryable: false });
      const release = version === 2 ? '2.10.5' : '3.0.2';
      expect(err.message).toBe(
        `Airflow at ${airflow.url} is Airflow ${release}, whose API is /api/v${version - 1}: this step says version: ${other} (/api/v${other - 1}); set version: ${version}`,
      );
      expect(airflow.runs).toEqual([]);
    });

    it(`Airflow ${version}: 401 reads "credentials refused" and 403 "lacks permission"`, async () => {
      airflow = await startFakeAirflow({
        version,
        username: 'salve',
        password,
        dags: ['retrain_fraud'],
        viewers: [{ username: 'viewer', password }],
      });
      const refused = await actionFailure(
        retrainAirflow.run(
          httpActionEnv(target, { AIRFLOW_PASSWORD: 'nope-nope' }).context(),
          params(airflow, { version }),
        ),
      );
      expect(refused.code).toBe('SALVE_HTTP_UNAUTHORIZED');
      expect(refused.message).toContain(
        'credentials refused: user salve with the password from environment variable AIRFLOW_PASSWORD)',
      );
      const viewerParams = params(airflow, {
        version,
        auth: { username: 'viewer', password: { env: 'AIRFLOW_PASSWORD' } },
      });
      const forbidden = await actionFailure(
        retrainAirflow.run(httpActionEnv(target, env).context(), viewerParams),
      );
      expect(forbidden.code).toBe('SALVE_HTTP_FORBIDDEN');
      expect(forbidden.message).toContain('lacks permission: ');
      expect(forbidden.message).toContain('user viewer');
      expect(forbidden.message).not.toContain(password);
    });
  }

  it('Airflow 3: logs in once for a trigger and every poll of a long wait, while the token lives', async () => {
    const { clock, context } = httpActionEnv(target, env);
    airflow = await startFakeAirflow({
      version: 3,
      username: 'salve',
      password,
      dags: ['retrain_fraud'],
      tokenLifetimeSeconds: 3600,
      now: () => clock.now().getTime(),
    });
    const p = params(airflow, { version: 3, waitForCompletion: true });
    await retrainAirflow.run(context(), p);
    // A 6 h wait polled every 2 s is 10,800 polls; 600 of them (20 min) show the pattern.
    for (let poll = 0; poll < 600; poll++) {
      expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
      await clock.sleep(2_000);
    }
    expect(airflow.tokensIssued()).toBe(1);
    // Past the token's hour (less the renewal margin): one login more, then the new token is reused.
    await clock.sleep(40 * 60_000);
    await retrainAirflow.rolloutStatus!(context(), p);
    await retrainAirflow.rolloutStatus!(context(), p);
    expect(airflow.tokensIssued()).toBe(2);
  });

  it('Airflow 3: a cached token Airflow refuses costs exactly one login more, then the work goes on', async () => {
    airflow = await startFakeAirflow({ version: 3, username: 'salve', password, dags: ['retrain_fraud'] });
    const { context } = httpActionEnv(target, env);
    const p = params(airflow, { version: 3, waitForCompletion: true });
    await retrainAirflow.run(context(), p);
    expect(airflow.tokensIssued()).toBe(1);
    airflow.revokeTokens();
    expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
    expect(airflow.tokensIssued()).toBe(2);
    expect((await retrainAirflow.rolloutStatus!(context(), p)).state).toBe('waiting');
    expect(airflow.tokensIssued()).toBe(2);
  });

  it('Airflow 3: a password Airflow refuses is one login, not a loop', async () => {
    airflow = await startFakeAirflow({ version: 3, username: 'salve', password, dags: ['retrain_fraud'] });
    const { context } = httpActionEnv(target, { AIRFLOW_PASSWORD: 'wrong' });
    const err = await actionFailure(retrainAirflow.run(context(), params(airflow, { version: 3 })));
    expect(err.code).toBe('SALVE_HTTP_UNAUTHORIZED');
    expect(airflow.requests.filter((r) => r.path === '/auth/token')).toHaveLength(1);
  });
});

describe('retrain.airflow describe()', () => {
  it('says what it would trigger, naming no credential', () => {
    const text = retrainAirflow.describe(
      target,
      retrainAirflow.params.parse({
        url: 'http://airflow:8080/',
        dag: 'retrain_fraud',
        auth,
        waitForCompletion: true,
      }),
    );
    expect(text).toBe(
      'would trigger a run of Airflow DAG retrain_fraud at http://airflow:8080 and wait for it to finish (for Model ml-prod/fraud)',
    );
    expect(text).not.toContain('AIRFLOW_PASSWORD');
  });
});
