import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createPendingWork } from '../runtime/pending-work.js';
import { createSecretReader } from '../runtime/secrets.js';
import type { Store } from '../store/types.js';
import { loadNotifierSpecs, type NotifySettings } from './config.js';
import {
  createDispatcher,
  type Dispatcher,
  type DispatcherDeps,
  defaultDispatcherSettings,
} from './dispatcher.js';
import { createHttp } from './http-post.js';
import type { NotifierDeps, NotifierKind, ValueSource } from './notifier.js';
import { createNotifierRegistry, type NotifierRegistry, notifierKinds } from './registry.js';

export type NotifyConfig = {
  settings: NotifySettings;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  /** How long one request to a notifier may take. */
  timeoutMs?: number;
  /** The notifier types known; default: the registry's. */
  kinds?: ReadonlyArray<NotifierKind>;
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
 * Reads the notifiers' configuration — before anything is opened, so a bad SALVE_NOTIFIERS_FILE stops the start
 * cleanly — and then, given the store they remember things in, builds them and their dispatcher.
 */
export function prepareNotify(config: NotifyConfig): {
  start(options: DispatcherOptions): { notifiers: NotifierRegistry; dispatcher: Dispatcher };
} {
  const kinds = config.kinds ?? notifierKinds;
  const specs = loadNotifierSpecs(config.settings, kinds);
  const secrets = createSecretReader(config.env);
  const log = config.log.child({ component: 'notify' });
  return {
    start(options) {
      const pending = createPendingWork();
      const deps: NotifierDeps = {
        http: createHttp(),
        resolve: (source: ValueSource) =>
          'value' in source ? Promise.resolve(source.value) : secrets.read(source),
        timeoutMs: config.timeoutMs ?? 5_000,
        now: () => config.clock.now(),
        memory: {
          get: (key) => options.store.getSetting(key),
          set: (key, value) => options.store.setSetting(key, value),
        },
        track: pending.track,
        log,
      };
      const notifiers = createNotifierRegistry(specs, deps, kinds);
      log.info(
        { notifiers: specs.map((s) => ({ name: s.name, type: s.type, minSeverity: s.minSeverity })) },
        'notifiers configured',
      );
      const dispatcher = createDispatcher({
        store: options.store,
        clock: config.clock,
        log,
        metrics: options.metrics,
        notifiers,
        policies: options.policies,
        pending,
        settings: { ...defaultDispatcherSettings, ...options.settings, owner: options.owner },
        random: options.random,
      });
      return { notifiers, dispatcher };
    },
  };
}
