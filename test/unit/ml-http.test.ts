import { AxiosError } from 'axios';
import { describe, expect, it } from 'vitest';
import { describeAction } from '../../src/actions/describe.js';
import { scrub } from '../../src/actions/http/auth.js';
import { peerMessage, statusFailure, transportFailure } from '../../src/actions/http/errors.js';
import { healDnsName, healRunId } from '../../src/actions/http/names.js';
import { httpFields, secretRefSchema } from '../../src/actions/http/params.js';
import { mlflowAlias } from '../../src/actions/mlflow-alias/action.js';
import { retrainAirflow } from '../../src/actions/retrain-airflow/action.js';
import { retrainArgo } from '../../src/actions/retrain-argo/action.js';
import { retrainKubeflow } from '../../src/actions/retrain-kubeflow/action.js';
import type { AnyAction, TargetRef } from '../../src/actions/types.js';
import { webhook } from '../../src/actions/webhook/action.js';
import { checkParams, compileParams } from '../../src/policy/params.js';
import { httpActionEnv } from '../support/fake-webhook.js';

const target: TargetRef = { kind: 'Model', namespace: 'ml-prod', name: 'fraud' };
const site = {
  where: 'MLflow GET http://mlflow/x',
  credential: undefined,
  secrets: ['hunter22'],
  timeoutMs: 500,
};
const mlActions: AnyAction[] = [retrainAirflow, mlflowAlias, retrainArgo, retrainKubeflow, webhook];

describe('HTTP failures', () => {
  it.each([
    [401, 'SALVE_HTTP_UNAUTHORIZED', false],
    [403, 'SALVE_HTTP_FORBIDDEN', false],
    [404, 'SALVE_HTTP_NOT_FOUND', false],
    [400, 'SALVE_HTTP_REJECTED', false],
    [409, 'SALVE_HTTP_REJECTED', false],
    [422, 'SALVE_HTTP_REJECTED', false],
    [302, 'SALVE_HTTP_REJECTED', false],
    [408, 'SALVE_HTTP_REQUEST_FAILED', true],
    [429, 'SALVE_HTTP_REQUEST_FAILED', true],
    [500, 'SALVE_HTTP_REQUEST_FAILED', true],
    [503, 'SALVE_HTTP_REQUEST_FAILED', true],
  ] as const)('HTTP %i is %s, retryable %s', (status, code, retryable) => {
    const err = statusFailure(status, {}, site);
    expect(err).toMatchObject({ code, retryable, details: { httpStatus: status } });
  });

  it("quote the peer's own words, cut to length and scrubbed of every secret value", () => {
    const err = statusFailure(
      400,
      { error_code: 'INVALID_PARAMETER_VALUE', message: `bad hunter22 ${'x'.repeat(400)}` },
      site,
    );
    expect(err.message).toMatch(
      /^MLflow GET http:\/\/mlflow\/x: HTTP 400: INVALID_PARAMETER_VALUE: bad \[redacted\] x+\.\.\.$/,
    );
    expect(err.message).not.toContain('hunter22');
  });

  it('read the usual error shapes: MLflow, Airflow problem+json, FastAPI 422 lists, grpc-gateway, text', () => {
    expect(peerMessage({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'gone' })).toEqual({
      text: 'gone',
      errorCode: 'RESOURCE_DOES_NOT_EXIST',
    });
    expect(peerMessage({ title: 'Conflict', detail: 'exists', status: 409 }).text).toBe('exists');
    expect(peerMessage({ detail: [{ loc: ['body', 'x'] }] }).text).toBe('[{"loc":["body","x"]}]');
    expect(peerMessage({ code: 6, message: 'already exists' }).text).toBe('already exists');
    expect(peerMessage('Bad Gateway\n').text).toBe('Bad Gateway');
    expect(peerMessage('').text).toBeUndefined();
  });

  it('tell "credentials refused" (401) from "lacks permission" (403), naming the credential but never its value', () => {
    const credential = { ...site, credential: 'the token from file /t' };
    expect(statusFailure(401, {}, credential).message).toContain(
      '(credentials refused: the token from file /t)',
    );
    expect(statusFailure(403, {}, credential).message).toContain(
      '(lacks permission: the token from file /t was accepted but lacks permission for this request)',
    );
    expect(statusFailure(401, {}, site).message).toContain(
      '(credentials refused: no credentials are configured for this peer)',
    );
    expect(statusFailure(403, {}, site).message).toContain(
      '(lacks permission: no credentials are configured',
    );
  });

  it('turn timeouts and refused connections into retryable failures whose cause holds no request config', () => {
    const timeout = new AxiosError('timeout of 500ms exceeded', 'ETIMEDOUT');
    const refused = new AxiosError('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED');
    expect(transportFailure(timeout, site)).toMatchObject({
      code: 'SALVE_HTTP_REQUEST_FAILED',
      retryable: true,
      message: 'MLflow GET http://mlflow/x: no answer within 500 ms',
    });
    const failure = transportFailure(refused, site);
    expect(failure.message).toBe('MLflow GET http://mlflow/x: connection failed (ECONNREFUSED)');
    expect(failure.cause).not.toBeInstanceOf(AxiosError);
    expect(scrub('a hunter22 b hunter22', ['hunter22', ''])).toBe('a [redacted] b [redacted]');
  });
});

describe('names derived from the heal', () => {
  it('are stable per heal step, and fit a DNS label even for long heal ids', () => {
    const { context } = httpActionEnv(target);
    expect(healRunId(context({ step: 3 }))).toBe('salve-heal_01jdx0000000000000000000-3');
    expect(healDnsName(context({ step: 3 }))).toBe('salve-heal-01jdx0000000000000000000-3');
    const long = healDnsName(context({ id: `heal_${'A'.repeat(80)}`, step: 1 }));
    expect(long).toMatch(/^salve-[0-9a-f]{16}-1$/);
    expect(long).toBe(healDnsName(context({ id: `heal_${'A'.repeat(80)}`, step: 1 })));
  });
});

describe('shared parameters', () => {
  it('take a credential only as a variable name or an absolute file', () => {
    expect(secretRefSchema.safeParse({ env: 'MLFLOW_TOKEN' }).success).toBe(true);
    expect(secretRefSchema.safeParse({ file: '/var/run/secrets/token' }).success).toBe(true);
    expect(secretRefSchema.safeParse({ value: 'abc' }).success).toBe(false);
    expect(secretRefSchema.safeParse({ file: 'relative/token' }).success).toBe(false);
    expect(secretRefSchema.safeParse('abc').success).toBe(false);
  });

  it('bound the timeout, and still accept the deprecated retries', () => {
    const url = 'http://x';
    const fields = (extra: object) =>
      retrainArgo.params.safeParse({ url, workflowTemplate: 't', ...extra }).success;
    expect(fields({ timeout: '250ms', retries: 0 })).toBe(true);
    expect(fields({ timeout: '10m' })).toBe(false);
    expect(fields({ timeout: '0' })).toBe(false);
    expect(fields({ retries: 11 })).toBe(false);
    expect(Object.keys(httpFields)).toEqual(['url', 'timeout', 'retries']);
  });
});

describe('the ML actions as the registry shows them', () => {
  it.each(mlActions.map((a) => [a.kind, a] as const))(
    '%s has a JSON Schema, any target kind and no RBAC',
    (_kind, action) => {
      const description = describeAction(action);
      expect(description.parameters).toMatchObject({ type: 'object', additionalProperties: false });
      expect(description.targetKinds).toEqual(['*']);
      expect(description.rbac).toEqual([]);
      expect(JSON.stringify(action.example)).not.toMatch(/"(password|token)":"[^{]/);
    },
  );

  it.each(mlActions.map((a) => [a.kind, a] as const))(
    '%s accepts its templated example at policy load',
    (_kind, action) => {
      const compiled = compileParams(action.example);
      if (!compiled.ok) throw new Error('example does not compile');
      expect(checkParams(action.params, compiled.params, compiled.dynamic)).toEqual([]);
    },
  );

  it.each(mlActions.map((a) => [a.kind, a] as const))(
    '%s describes itself without naming a credential source',
    (_kind, action) => {
      const text = action.describe(target, action.params.parse(action.example));
      expect(text).toMatch(/^would /);
      expect(text).toContain('ml-prod');
      expect(text).not.toMatch(/_TOKEN|_PASSWORD|_KEY|\/var\/run\/secrets/);
    },
  );
});
