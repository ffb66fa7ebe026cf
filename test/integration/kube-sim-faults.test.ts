import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KubeSim, scenarioDemo, startKubeSim } from '../support/kube-sim/index.js';

let sim: KubeSim;
let dir: string;
let apps: AppsV1Api;
let kc: KubeConfig;
const ns = 'ml-prod';
const name = 'fraud-scorer';

beforeEach(async () => {
  sim = await startKubeSim({ tickMs: 0, historyLimit: 50 });
  scenarioDemo(sim);
  dir = mkdtempSync(join(tmpdir(), 'kube-sim-faults-'));
  kc = new KubeConfig();
  kc.loadFromFile(sim.writeKubeconfig(dir));
  apps = kc.makeApiClient(AppsV1Api);
});

afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
}

function statusBody(e: unknown): Record<string, unknown> {
  expect(e).toBeInstanceOf(ApiException);
  const body = (e as ApiException<unknown>).body;
  return (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
}

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('kube-sim fault injection seen by the real client', () => {
  it('failNext answers the next matching requests with a Status of the given code, then recovers', async () => {
    sim.faults.failNext({ method: 'GET', path: /\/deployments\/fraud-scorer$/ }, 503, 2);
    for (let i = 0; i < 2; i++) {
      const e = await failure(apps.readNamespacedDeployment({ name, namespace: ns }));
      expect((e as ApiException<unknown>).code).toBe(503);
      expect((e as ApiException<unknown>).headers['retry-after']).toBe('1');
      expect(statusBody(e)).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'ServiceUnavailable',
        code: 503,
      });
    }
    await expect(apps.readNamespacedDeployment({ name, namespace: ns })).resolves.toMatchObject({
      metadata: { name },
    });
    expect(sim.requests.map((r) => r.fault ?? '-').slice(-3)).toEqual(['fail', 'fail', '-']);
  });

  it('failNext only hits the method and path it matches, with a custom reason', async () => {
    sim.faults.failNext({ method: 'PATCH' }, 429, 1, 'TooManyRequests');
    await expect(apps.readNamespacedDeployment({ name, namespace: ns })).resolves.toBeDefined();
    const e = await failure(
      apps.patchNamespacedDeployment(
        { name, namespace: ns, body: { metadata: { labels: { a: 'b' } } } },
        merge,
      ),
    );
    expect(statusBody(e)).toMatchObject({ reason: 'TooManyRequests', code: 429 });
    expect(sim.objects.get('apps/v1', 'Deployment', ns, name)?.metadata.labels).toEqual({
      app: 'fraud-scorer',
    });
  });

  it('conflictNext answers an update with 409 Conflict as if stale, and the retry goes through', async () => {
    sim.faults.conflictNext({ path: /\/deployments\/fraud-scorer$/ });
    const body = { spec: { replicas: 5 } };
    const e = await failure(apps.patchNamespacedDeployment({ name, namespace: ns, body }, merge));
    expect((e as ApiException<unknown>).code).toBe(409);
    expect(statusBody(e)).toMatchObject({ reason: 'Conflict', details: { name, kind: 'deployments' } });
    expect(sim.objects.get('apps/v1', 'Deployment', ns, name)?.spec).toMatchObject({ replicas: 3 });
    await expect(apps.patchNamespacedDeployment({ name, namespace: ns, body }, merge)).resolves.toMatchObject(
      { spec: { replicas: 5 } },
    );
  });

  it('delay adds latency to the matching requests only', async () => {
    sim.faults.delay({ path: /\/cronjobs\// }, 300, 1);
    const batch = kc.makeApiClient(BatchV1Api);
    let t = performance.now();
    await batch.readNamespacedCronJob({ name: 'retrain-fraud-scorer', namespace: ns });
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    t = performance.now();
    await batch.readNamespacedCronJob({ name: 'retrain-fraud-scorer', namespace: ns });
    expect(performance.now() - t).toBeLessThan(250);
  });

  it('dropNext destroys the connection without an answer; the client sees a network error, not a Status', async () => {
    sim.faults.dropNext({ method: 'GET' });
    const e = await failure(apps.readNamespacedDeployment({ name, namespace: ns }));
    expect(e).not.toBeInstanceOf(ApiException);
    expect(String((e as Error).message)).toMatch(/socket hang up|ECONNRESET|closed/i);
    expect(sim.requests.at(-1)?.fault).toBe('drop');
    expect(sim.requests.at(-1)?.status).toBeUndefined();
    await expect(apps.readNamespacedDeployment({ name, namespace: ns })).resolves.toBeDefined();
  });

  it('clear removes pending faults', async () => {
    sim.faults.failNext({}, 500, 10);
    sim.faults.clear();
    await expect(apps.readNamespacedDeployment({ name, namespace: ns })).resolves.toBeDefined();
  });
});

describe('kube-sim watches seen by the real client', () => {
  it('streams changes after the listed resourceVersion and ends with 410 Expired when history is gone', async () => {
    const list = await apps.listNamespacedDeployment({ namespace: ns });
    const events: Array<[string, string | undefined]> = [];
    const watch = new Watch(kc);
    const seen = new Promise<void>((resolve) => {
      void watch.watch(
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        { resourceVersion: list.metadata?.resourceVersion },
        (type, obj: { metadata?: { labels?: Record<string, string> } }) => {
          events.push([type, obj.metadata?.labels?.phase]);
          if (events.length === 2) resolve();
        },
        () => undefined,
      );
    });
    for (const phase of ['one', 'two']) {
      await apps.patchNamespacedDeployment(
        { name, namespace: ns, body: { metadata: { labels: { phase } } } },
        merge,
      );
    }
    await seen;
    expect(events).toEqual([
      ['MODIFIED', 'one'],
      ['MODIFIED', 'two'],
    ]);
    for (let i = 0; i < 60; i++)
      sim.objects.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `n${i}` } });
    const expired = await new Promise<[string, { code?: number; reason?: string }]>((resolve) => {
      void watch.watch(
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        { resourceVersion: list.metadata?.resourceVersion },
        (type, obj) => resolve([type, obj]),
        () => undefined,
      );
    });
    expect(expired).toEqual(['ERROR', expect.objectContaining({ code: 410, reason: 'Expired' })]);
  });
});
