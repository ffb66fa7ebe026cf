import { createSecretReader } from '../actions/secrets.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store } from '../store/types.js';
import { checkRoutingKeys, loadNotifierSpecs, type NotifySettings, type ValueSource } from './config.js';
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherDeps,
  defaultDispatcherSettings,
} from './dispatcher.js';
import { createHttp } from './http-post.js';
import { createNotifierRegistry, type NotifierRegistry } from './registry.js';
import { createSlackReplier, type NotifierDeps } from './slack.js';

export type NotifyConfig = {
  settings: NotifySettings;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** How long one request to a notifier may take. */
  timeoutMs?: number;
};

export type DispatcherOptions = {
  store: Store;
  metrics: Metrics;
  policies: DispatcherDeps['policies'];
  owner: string;
  settings?: Partial<Omit<DispatcherDeps['settings'], 'owner'>>;
  random?: () => number;
};

/**
 * Builds the notifiers from configuration — before anything is opened, so a bad SALVE_NOTIFIERS_FILE stops the start
 * cleanly — and then, given the store, their dispatcher.
 */
export function prepareNotify(config: NotifyConfig): {
  notifiers: NotifierRegistry;
  dispatcher(options: DispatcherOptions): Dispatcher;
} {
  const secrets = createSecretReader(config.env);
  const notifierDeps: NotifierDeps = {
    http: createHttp(),
    resolve: (source: ValueSource) =>
      'value' in source ? Promise.resolve(source.value) : secrets.read(source),
    timeoutMs: config.timeoutMs ?? 5_000,
    now: () => config.clock.now(),
  };
  const specs = loadNotifierSpecs(config.settings);
  checkRoutingKeys(specs, config.env);
  const notifiers = createNotifierRegistry(specs, notifierDeps);
  const log = config.log.child({ component: 'notify' });
  log.info(
    {
      notifiers: [...notifiers.values()].map((n) => ({
        name: n.name,
        type: n.type,
        minSeverity: n.minSeverity,
      })),
    },
    'notifiers configured',
  );
  return {
    notifiers,
    dispatcher: (options) =>
      createDispatcher({
        store: options.store,
        clock: config.clock,
        log,
        metrics: options.metrics,
        notifiers,
        policies: options.policies,
        reply: createSlackReplier(notifierDeps),
        settings: { ...defaultDispatcherSettings, ...options.settings, owner: options.owner },
        random: options.random,
      }),
  };
}
