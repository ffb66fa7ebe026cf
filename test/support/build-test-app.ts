import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { createDeps, type Deps, type DepsOverrides } from '../../src/deps.js';
import { type FakeClock, fakeClock } from './fake-clock.js';
import { captureLogs, type LogCapture } from './log-capture.js';
import { alertmanagerHeaders, authHeaders } from './requests.js';
import { prepareSalveDir, type testTokens } from './salve-dir.js';

// What tests building an app also need, from where they are written once.
export { prepareSalveDir, servingPolicy, testAuditKeySecret, testTokens } from './salve-dir.js';

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

export type TestAppOptions = {
  /** Policy files by name; default: one file with the serving policy. */
  policies?: Record<string, string>;
  env?: Record<string, string>;
  overrides?: DepsOverrides;
  dir?: string;
};

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
  return {
    app,
    deps,
    clock,
    logs,
    dir,
    policiesDir,
    auth: authHeaders,
    deliver: (body) =>
      app.inject({
        method: 'POST',
        url: '/v1/alertmanager',
        headers: alertmanagerHeaders(),
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async close() {
      await app.close();
      await deps.close();
    },
  };
}
