import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import YAML from 'yaml';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createDeps, type Deps, type DepsOverrides } from '../../src/deps.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import { captureLogs, type LogCapture } from './log-capture.js';

export const testTokens = {
  alertmanager: 'am-token-0123456789abcdef',
  operator: 'op-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
} as const;

/**
 * The audit key every test data directory gets (as `audit.key`): replicas in a test share it, as replicas share
 * one from a Secret. Stores opened directly use `testAuditKey` (store-contract.ts), the same key.
 */
export const testAuditKeySecret = 'salve-test-audit-key-0123456789abcdef';

export type TestApp = {
  app: FastifyInstance;
  deps: Deps;
  clock: FakeClock;
  logs: LogCapture;
  dir: string;
  policiesDir: string;
  auth(scope: keyof typeof testTokens): { authorization: string };
  /** POSTs a webhook body (object or raw JSON text) with the Alertmanager token. */
  deliver(body: unknown): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
};

export const servingPolicy = `apiVersion: salve/v1
policies:
  - name: scorer-error-rate
    description: Restart, then roll back the scorer when its error rate is high
    match:
      - alertname="ModelServingErrorRate"
      - severity=~"critical|page"
    target:
      kind: Deployment
      namespace: "{{ labels.namespace }}"
      name: "{{ labels.deployment }}"
    allow: { namespaces: [ml-prod, ml-staging] }
    steps:
      - action: k8s.restart
        verify: { rollout: 5m, resolved: 10m }
      - action: k8s.rollback
        verify: { rollout: 5m, resolved: 15m }
`;

export type TestAppOptions = {
  /** Policy files by name; default: one file with the serving policy. */
  policies?: Record<string, string>;
  env?: Record<string, string>;
  overrides?: DepsOverrides;
  dir?: string;
};

export type SalveDir = {
  dir: string;
  policiesDir: string;
  /** What a child `salve serve` needs to run on this directory, and nothing from the machine (HOME). */
  env: { SALVE_DATA_DIR: string; SALVE_POLICIES: string; HOME: string };
};

/** A data directory with policy files and the test tokens, as an operator would prepare one. */
export function prepareSalveDir(
  policies: Record<string, string> = { 'serving.yaml': servingPolicy },
  existing?: string,
): SalveDir {
  const dir = existing ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-test-'));
  const policiesDir = path.join(dir, 'policies');
  fs.mkdirSync(policiesDir, { recursive: true });
  for (const [name, text] of Object.entries(policies)) fs.writeFileSync(path.join(policiesDir, name), text);
  const keyFile = path.join(dir, 'audit.key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `${testAuditKeySecret}\n`, { mode: 0o600 });
  const tokensFile = path.join(dir, 'tokens.yaml');
  if (!fs.existsSync(tokensFile)) {
    const entries = Object.entries(testTokens).map(([scope, token]) => ({
      name: scope,
      scopes: [scope],
      token,
    }));
    fs.writeFileSync(tokensFile, YAML.stringify(entries));
  }
  return { dir, policiesDir, env: { SALVE_DATA_DIR: dir, SALVE_POLICIES: policiesDir, HOME: dir } };
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { dir, policiesDir } = prepareSalveDir(options.policies, options.dir);
  const config = loadConfig({
    SALVE_DATA_DIR: dir,
    SALVE_POLICIES: policiesDir,
    SALVE_LOG_LEVEL: 'debug',
    ...options.env,
  });
  const clock = (options.overrides?.clock as FakeClock | undefined) ?? fakeClock();
  const logs = captureLogs();
  // No kubeconfig from the machine running the tests leaks in: HOME is the test's own directory.
  const deps = await createDeps(config, logs.log, { env: { HOME: dir }, ...options.overrides, clock });
  const app = await buildApp(deps);
  await app.ready();
  const auth = (scope: keyof typeof testTokens) => ({ authorization: `Bearer ${testTokens[scope]}` });
  return {
    app,
    deps,
    clock,
    logs,
    dir,
    policiesDir,
    auth,
    deliver: (body) =>
      app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: { ...auth('alertmanager'), 'content-type': 'application/json' },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await app.close();
      await deps.close();
    },
  };
}
