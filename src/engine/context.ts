import type { ActionRegistry } from '../actions/registry.js';
import type { TokenCache } from '../actions/types.js';
import type { Clock } from '../clock.js';
import type { KubeClient } from '../kube/port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicyTable } from '../policy/table.js';
import type { SecretReader } from '../runtime/secrets.js';
import type { Store } from '../store/types.js';
import type { AlertmanagerClient } from './alertmanager-client.js';

export type EngineSettings = {
  /** This process's name on leases and locks. */
  owner: string;
  /** How long a claimed heal or a target lock stays ours without renewal (a dead process's expire). */
  leaseMs: number;
  /** How often the scheduler looks for due work when nothing pokes it. */
  pollMs: number;
  /** Heals advanced at once. */
  concurrency: number;
  /** Global ceiling across every policy and target. */
  maxActionsPerHour: number;
  approvalTimeoutMs: number;
  /** Used when a step has no `verify.resolved`: how long to wait for the alerts to resolve. */
  defaultResolvedMs: number;
  retry: { attempts: number; baseMs: number; maxMs: number };
  rolloutPollMs: number;
  /** How often to ask Alertmanager whether alerts still fire (when SALVE_ALERTMANAGER_URL is set). */
  resolvePollMs: number;
  /** Global dry-run. */
  dryRun: boolean;
  /** salve's own URL, for links in notifications. */
  publicUrl: string | null;
};

export const defaultEngineSettings: Omit<EngineSettings, 'owner'> = {
  leaseMs: 30_000,
  pollMs: 1_000,
  concurrency: 8,
  maxActionsPerHour: 30,
  approvalTimeoutMs: 60 * 60_000,
  defaultResolvedMs: 15 * 60_000,
  retry: { attempts: 4, baseMs: 1_000, maxMs: 30_000 },
  rolloutPollMs: 2_000,
  resolvePollMs: 30_000,
  dryRun: false,
  publicUrl: null,
};

export type EngineDeps = {
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  registry: ActionRegistry;
  policies: { current(): PolicyTable };
  kube: KubeClient;
  secrets: SecretReader;
  tokens: TokenCache;
  alertmanager: AlertmanagerClient | null;
  settings: EngineSettings;
  /** Random in [0, 1): jitter for retry backoff; tests pin it. */
  random?: () => number;
};

export const pauseKey = 'paused';
export const breakerResetKey = (targetKey: string) => `breaker-reset:${targetKey}`;
