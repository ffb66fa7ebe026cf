import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, FetchError } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ActionFailed, SalveError } from '../../src/errors.js';
import { isAlreadyExists, isConflict, toKubeFailure } from '../../src/kube/api-errors.js';
import { createKubeClient } from '../../src/kube/config.js';
import { selectorToString } from '../../src/kube/selector.js';
import { captureLogs } from '../support/log-capture.js';

const status = (code: number, reason: string, message = `${reason} happened`) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('mapping API failures to ActionFailed codes', () => {
  const cases: Array<[number, string, string, boolean]> = [
    [404, 'NotFound', 'SALVE_KUBE_NOT_FOUND', false],
    [403, 'Forbidden', 'SALVE_KUBE_FORBIDDEN', false],
    [401, 'Unauthorized', 'SALVE_KUBE_FORBIDDEN', false],
    [400, 'BadRequest', 'SALVE_KUBE_INVALID', false],
    [422, 'Invalid', 'SALVE_KUBE_INVALID', false],
    [409, 'Conflict', 'SALVE_KUBE_CONFLICT', true],
    [409, 'AlreadyExists', 'SALVE_KUBE_CONFLICT', false],
    [429, 'TooManyRequests', 'SALVE_KUBE_REQUEST_FAILED', true],
    [500, 'InternalError', 'SALVE_KUBE_REQUEST_FAILED', true],
    [503, 'ServiceUnavailable', 'SALVE_KUBE_REQUEST_FAILED', true],
  ];

  for (const [httpStatus, reason, code, retryable] of cases) {
    it(`maps ${httpStatus} ${reason} to ${code} (retryable: ${retryable})`, () => {
      const failure = toKubeFailure(
        new ApiException(httpStatus, 'x', status(httpStatus, reason), {}),
        'get Deployment ns/a',
      );
      expect(failure).toBeInstanceOf(ActionFailed);
      expect(failure).toMatchObject({ code, retryable, details: { httpStatus, reason } });
      expect(failure.message).toBe(`get Deployment ns/a: ${reason} happened`);
    });
  }

  it('tells AlreadyExists from a stale-resourceVersion Conflict by the Status reason', () => {
    const exists = toKubeFailure(new ApiException(409, 'x', status(409, 'AlreadyExists'), {}), 'create Job');
    const conflict = toKubeFailure(new ApiException(409, 'x', status(409, 'Conflict'), {}), 'patch');
    expect([isAlreadyExists(exists), isConflict(exists)]).toEqual([true, false]);
    expect([isAlreadyExists(conflict), isConflict(conflict)]).toEqual([false, true]);
  });

  it('copes with a body that is not a Status', () => {
    const failure = toKubeFailure(new ApiException(502, 'x', '<html>bad gateway</html>', {}), 'list Jobs');
    expect(failure).toMatchObject({
      code: 'SALVE_KUBE_REQUEST_FAILED',
      retryable: true,
      message: 'list Jobs: HTTP 502',
    });
  });

  it('treats connection failures as retryable', () => {
    const failure = toKubeFailure(new FetchError('connect ECONNREFUSED', 'system'), 'get CronJob ns/x');
    expect(failure).toMatchObject({ code: 'SALVE_KUBE_REQUEST_FAILED', retryable: true });
    expect(failure.cause).toBeInstanceOf(FetchError);
  });
});

describe('label selectors', () => {
  it('renders matchLabels and every matchExpressions operator', () => {
    expect(
      selectorToString({
        matchLabels: { app: 'scorer' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'team', operator: 'Exists' },
        ],
      }),
    ).toBe('app=scorer,tier in (web,api),env notin (dev),!canary,team');
  });

  it('refuses an empty selector rather than list a whole namespace', () => {
    expect(() => selectorToString({})).toThrow(TypeError);
  });
});

describe('createKubeClient', () => {
  const dir = mkdtempSync(join(tmpdir(), 'salve-kubeconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns an unconfigured client whose calls fail as SALVE_KUBE_NOT_CONFIGURED when there is no cluster', async () => {
    const { log } = captureLogs();
    const client = createKubeClient({ homeDir: join(dir, 'nobody'), log });
    expect(client.configured).toBe(false);
    expect(client.description).toContain('not running in a pod');
    await expect(client.getWorkload('Deployment', 'ns', 'x')).rejects.toMatchObject({
      code: 'SALVE_KUBE_NOT_CONFIGURED',
      retryable: false,
    });
  });

  it('loads a kubeconfig file and its current context', () => {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: sim, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: a, context: {cluster: sim, user: u}}, {name: b, context: {cluster: sim, user: u}}]',
        'current-context: a',
      ].join('\n'),
    );
    const { log } = captureLogs();
    const client = createKubeClient({ kubeconfig: path, log });
    expect(client.configured).toBe(true);
    expect(client.description).toBe(`kubeconfig ${path}, context a, server http://127.0.0.1:1`);
    expect(createKubeClient({ kubeconfig: path, context: 'b', log }).description).toContain('context b');
    let caught: unknown;
    try {
      createKubeClient({ kubeconfig: path, context: 'missing', log });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SalveError);
    expect(caught).toMatchObject({ code: 'SALVE_CONFIG_INVALID' });
  });

  it('uses the in-cluster service account when running in a pod', () => {
    const { log } = captureLogs();
    const client = createKubeClient({
      serviceHost: '10.0.0.1',
      servicePort: '443',
      serviceAccountDir: dir,
      log,
    });
    expect(client.configured).toBe(true);
    expect(client.description).toBe('in-cluster service account, server https://10.0.0.1:443');
  });

  it('fails as retryable when the API server cannot be reached', async () => {
    const path = join(dir, 'unreachable');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: a, context: {cluster: c, user: u}}]',
        'current-context: a',
      ].join('\n'),
    );
    const { log } = captureLogs();
    const client = createKubeClient({ kubeconfig: path, log, requestTimeoutMs: 2000 });
    await expect(client.getCronJob('ml', 'retrain')).rejects.toMatchObject({
      code: 'SALVE_KUBE_REQUEST_FAILED',
      retryable: true,
    });
  });
});
