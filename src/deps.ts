import path from 'node:path';
import { type ActionRegistry, createActionRegistry } from './actions/registry.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/schema.js';
import { loadOrCreateTokens } from './config/tokens.js';
import { SalveError } from './errors.js';
import { type Authenticator, createAuthenticator } from './http/auth.js';
import type { Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createPolicySource, type PolicySource } from './policy/source.js';
import { openSqliteStore } from './store/sqlite/index.js';
import type { Store } from './store/types.js';

export type Deps = {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  store: Store;
  auth: Authenticator;
  registry: ActionRegistry;
  policies: PolicySource;
  /** Set when salve generated a token on this start: printed once, never logged. */
  generatedToken?: { name: string; token: string; file: string };
  close(): Promise<void>;
};

export type DepsOverrides = Partial<Pick<Deps, 'clock' | 'store' | 'registry' | 'metrics'>>;

export function openStore(config: Config, clock: Clock): Store {
  if (config.store === 'sqlite')
    return openSqliteStore({ file: path.join(config.dataDir, 'salve.db'), clock });
  throw new SalveError('SALVE_CONFIG_INVALID', 'SALVE_STORE: PostgreSQL is not available in this build yet');
}

/** The one place adapters are constructed. */
export async function createDeps(config: Config, log: Logger, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock();
  const metrics = overrides.metrics ?? createMetrics();
  const registry = overrides.registry ?? createActionRegistry();
  let generatedToken: Deps['generatedToken'];
  let auth: Authenticator;
  if (config.insecureNoAuth) {
    auth = createAuthenticator(null);
  } else {
    const loaded = loadOrCreateTokens(config.tokensFile);
    generatedToken = loaded.generated;
    auth = createAuthenticator(loaded.tokens);
  }
  const policies = await createPolicySource({
    dir: config.policies,
    registry,
    log: log.child({ component: 'policies' }),
    clock,
    onReload: (result) => {
      metrics.policyReloads.inc({ outcome: result.ok ? 'ok' : 'error' });
      if (!result.ok) metrics.policyReloadErrors.inc();
    },
  });
  metrics.policiesLoaded.set(policies.current().policies.length);
  const store = overrides.store ?? openStore(config, clock);
  await store.migrate();
  return {
    config,
    clock,
    log,
    metrics,
    store,
    auth,
    registry,
    policies,
    generatedToken,
    async close() {
      policies.close();
      await store.close();
    },
  };
}
