import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { createDeps } from '../src/deps.js';
import { createLogger } from '../src/observability/logger.js';
import type { ServerUnderTest } from './bare-server.js';

/**
 * The real service as `salve serve` builds it: durable SQLite in `dir` (or the store SALVE_STORE names),
 * auth on, the policies in `dir`. Other settings come from the SALVE_* variables the parent put in this
 * process's environment (bench/child.ts passes only its own). With `engine`, the heal scheduler and
 * notification dispatcher run too, as in `salve serve`; without SALVE_KUBECONFIG no Kubernetes is configured,
 * so opened heals fail their first action and escalate.
 */
export async function startSalve(dir: string, logLevel: string, engine: boolean): Promise<ServerUnderTest> {
  const config = loadConfig({
    ...process.env,
    SALVE_DATA_DIR: dir,
    SALVE_POLICIES: path.join(dir, 'policies'),
    SALVE_TOKENS_FILE: path.join(dir, 'tokens.yaml'),
    SALVE_LOG_LEVEL: logLevel,
    SALVE_LISTEN: '127.0.0.1:0',
  });
  const deps = await createDeps(config, createLogger({ level: config.logLevel }));
  const app = await buildApp(deps);
  if (engine) {
    deps.engine.start();
    deps.dispatcher.start();
  }
  return { app, close: () => deps.close() };
}
