import type { ActionRegistry } from '../actions/registry.js';
import type { AuditAnchor } from '../audit/anchor.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EngineDeps } from '../engine/context.js';
import type { KubeClient } from '../kube/port.js';
import type { Dispatcher } from '../notify/dispatcher.js';
import type { NotifierRegistry } from '../notify/registry.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicySource } from '../policy/source.js';
import type { StoreAvailability } from '../store/availability.js';
import type { Store } from '../store/types.js';
import type { Authenticator } from './auth.js';
import type { ConsoleAssets } from './console-assets.js';

/**
 * What the HTTP layer is built from: the ports the use cases (src/service) take, and what the routes read.
 * src/deps.ts builds it, with the rest of the process.
 */
export type AppDeps = {
  config: Config;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  store: Store;
  /** Whether the store commits: the write probe behind /readyz, and the outage log. */
  storeHealth: StoreAvailability;
  auth: Authenticator;
  registry: ActionRegistry;
  policies: PolicySource;
  kube: KubeClient;
  /** The heal engine: work may be due now. */
  engine: { poke(): void };
  /** Sends the durable outbox's notifications (Slack, webhooks). */
  dispatcher: Dispatcher;
  /** The configured notifiers: an interactive one (Slack) answers the clicks on its messages. */
  notifiers: NotifierRegistry;
  engineDeps: EngineDeps;
  /** Verifies the audit chain incrementally and publishes its checkpoints. */
  anchor: AuditAnchor;
  /** Said at start (log) and in /readyz: settings that leave a door open, and what to do about them. */
  warnings: string[];
  /** The operator console's bundle, served at GET /. */
  consoleAssets: ConsoleAssets;
};
