import {
  type ConfigurationOptions,
  type KubeConfig,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import { toKubeFailure, watchFailure } from './api-errors.js';
import { type HeadApi, headOf } from './heads.js';
import type { HeadInformer, HeadWatchHandlers, ObjectHead } from './port.js';

export type HeadInformerSettings = {
  /** Back-off before listing again after a failure: doubles from `retryMinMs` up to `retryMaxMs`, jittered. */
  retryMinMs: number;
  retryMaxMs: number;
  /**
   * The server ends each watch after about this long (`timeoutSeconds`, randomised up to twice as client-go
   * does), and the informer watches again from where it was; with no byte for this long plus a minute the
   * connection is taken for dead (a partition leaves a socket silent) and the informer starts over.
   */
  watchTimeoutSeconds: number;
  /** Per-request deadline of the list. */
  listTimeoutMs: number;
  random: () => number;
};

export const defaultHeadInformerSettings: HeadInformerSettings = {
  retryMinMs: 1_000,
  retryMaxMs: 30_000,
  watchTimeoutSeconds: 300,
  listTimeoutMs: 30_000,
  random: Math.random,
};

type WatchLike = Pick<Watch, 'watch'>;

/**
 * A HeadInformer over client-node's ListWatch (its informer), which lists, watches from the list's
 * resourceVersion and relists after 410 Gone. What it leaves to us: a failed list or watch stops it (we list
 * again after a back-off), and it keeps whole objects (we hand it heads only, from the list and from every
 * watch event).
 */
export function startHeadInformer(
  kubeConfig: KubeConfig,
  api: HeadApi,
  namespace: string,
  kind: string,
  handlers: HeadWatchHandlers,
  options: { settings: HeadInformerSettings; requestOptions: (timeoutMs: number) => ConfigurationOptions },
): HeadInformer {
  const { settings } = options;
  const path = api.path(namespace);
  const operation = `list+watch ${kind}s in ${namespace}`;
  let stopped = false;
  let synced = false;
  let failing: Error | undefined;
  let listed = false;
  let backoffMs = settings.retryMinMs;
  let retry: NodeJS.Timeout | undefined;
  let lastActivity = Date.now();

  const heads = (items: unknown[]): ObjectHead[] => items.map(headOf).filter((h) => h !== undefined);

  async function list() {
    const result = (await api.list(namespace, options.requestOptions(settings.listTimeoutMs))) as {
      metadata?: { resourceVersion?: string };
      items?: unknown[];
    };
    listed = true;
    return {
      metadata: { resourceVersion: result.metadata?.resourceVersion },
      items: heads(result.items ?? []),
    };
  }

  const watcher = new Watch(kubeConfig);
  const headWatch: WatchLike = {
    async watch(watchPath, query, callback, done) {
      // ListWatch asks for a watch right after it stored a list: the heads are all in place now.
      if (listed) {
        listed = false;
        synced = true;
        failing = undefined;
        backoffMs = settings.retryMinMs;
        handlers.onSynced?.();
      }
      lastActivity = Date.now();
      let failed = false;
      const timeoutSeconds = Math.round(settings.watchTimeoutSeconds * (1 + settings.random()));
      const request = await watcher.watch(
        watchPath,
        { ...query, allowWatchBookmarks: true, timeoutSeconds },
        (type, object, raw) => {
          lastActivity = Date.now();
          if (type === 'ERROR' || type === 'BOOKMARK') return callback(type, object, raw);
          const head = headOf(object);
          if (head !== undefined) callback(type, head, raw);
        },
        (err) => {
          failed = err !== null && err !== undefined;
          done(err);
        },
      );
      if (!failed) failing = undefined;
      return request;
    },
  };

  const informer = new ListWatch<ObjectHead & KubernetesObject>(
    path,
    headWatch as Watch,
    list as never,
    false,
  );
  informer.on('add', (head) => handlers.onChange?.('add', head));
  informer.on('update', (head) => handlers.onChange?.('update', head));
  informer.on('delete', (head) => handlers.onChange?.('delete', head));
  informer.on('error', (err) => {
    if (stopped) return;
    failing =
      (err as { statusCode?: number }).statusCode !== undefined
        ? watchFailure(err, operation)
        : toKubeFailure(err, operation, settings.listTimeoutMs);
    handlers.onError?.(failing);
    const delay = backoffMs * (0.5 + settings.random() / 2);
    backoffMs = Math.min(backoffMs * 2, settings.retryMaxMs);
    clearTimeout(retry);
    retry = setTimeout(() => {
      retry = undefined;
      if (!stopped) void informer.start();
    }, delay);
    retry.unref();
  });

  // A watch that says nothing for longer than the server would keep it open is a dead connection.
  const idleMs = settings.watchTimeoutSeconds * 2_000 + 60_000;
  const watchdog = setInterval(
    () => {
      if (stopped || retry !== undefined || Date.now() - lastActivity < idleMs) return;
      lastActivity = Date.now();
      // Stopping aborts the request; the abort comes back as an error, which lists again after the back-off.
      void informer.stop();
    },
    Math.min(idleMs / 4, 15_000),
  );
  watchdog.unref();

  void informer.start();

  return {
    get synced() {
      return synced;
    },
    get failing() {
      return failing;
    },
    get: (name) => informer.get(name, namespace),
    list: () => [...informer.list(namespace)],
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(watchdog);
      await informer.stop();
    },
  };
}
