import type { Clock } from '../clock.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PendingWork } from '../runtime/pending-work.js';
import { createPollLoop } from '../runtime/poll-loop.js';
import type { OutboxItem, Store } from '../store/types.js';
import { type DeliverDeps, type DeliverySettings, deliver } from './deliver.js';
import { howToConfigure, type NotifierRegistry, unknownNotifiers } from './registry.js';

export type DispatcherSettings = DeliverySettings & {
  /** This process's name on outbox leases. */
  owner: string;
  /** How often to look for due notifications when nothing pokes the dispatcher. */
  pollMs: number;
  /** How long claimed items stay ours: longer than a batch takes to send, even against a slow peer. */
  leaseMs: number;
  batch: number;
};

export const defaultDispatcherSettings: Omit<DispatcherSettings, 'owner'> = {
  pollMs: 1_000,
  leaseMs: 120_000,
  batch: 20,
  maxAttempts: 10,
  backoff: { baseMs: 2_000, maxMs: 5 * 60_000, jitter: 0.5 },
};

export type DispatcherDeps = {
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  notifiers: NotifierRegistry;
  policies: {
    current(): { policies: ReadonlyArray<{ name: string; notify: readonly string[] }>; loadedAt: string };
  };
  /** What notifiers started outside the outbox (replies to clicks): drain and stop wait for it. */
  pending: PendingWork;
  settings: DispatcherSettings;
  random?: () => number;
};

export type Dispatcher = {
  start(): void;
  stop(): Promise<void>;
  /** Notifications may be waiting (a click decided an approval): look now. */
  poke(): void;
  /** Claims and sends what is due now; resolves with how many items it handled. Tests drive it. */
  runDue(): Promise<number>;
  /** runDue() until nothing is due, and every reply the notifiers started sent. */
  drain(): Promise<void>;
  /** Policies that name notifiers nobody configured. */
  unknownNotifiers(): Array<{ policy: string; notifier: string }>;
};

/**
 * The durable outbox's sender. Notifications are committed with the heal moves that cause them, so the engine
 * never waits for Slack; this loop sends them afterwards, retries with backoff, and loses nothing across restarts.
 */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const { settings, log } = deps;
  const deliverDeps: DeliverDeps = deps;
  let checkedTable: string | null = null;

  const unknown = () => unknownNotifiers(deps.policies.current().policies, deps.notifiers);

  function warnUnknown(): void {
    const table = deps.policies.current();
    if (checkedTable === table.loadedAt) return;
    checkedTable = table.loadedAt;
    // One line per missing notifier, naming every policy that routes to it and what to set.
    const byNotifier = new Map<string, string[]>();
    for (const { policy, notifier } of unknown()) {
      byNotifier.set(notifier, [...(byNotifier.get(notifier) ?? []), policy]);
    }
    for (const [notifier, policies] of byNotifier) {
      log.warn(
        { notifier, policies },
        `${policies.length} ${policies.length === 1 ? 'policy notifies' : 'policies notify'} "${notifier}", which is not configured: their notifications are not sent (${howToConfigure(notifier)})`,
      );
    }
  }

  async function runDue(): Promise<number> {
    warnUnknown();
    const now = deps.clock.now();
    const items = await deps.store.claimOutbox({
      now: now.toISOString(),
      owner: settings.owner,
      leaseUntil: new Date(now.getTime() + settings.leaseMs).toISOString(),
      limit: settings.batch,
    });
    const byNotifier = new Map<string, OutboxItem[]>();
    for (const item of items) byNotifier.set(item.notifier, [...(byNotifier.get(item.notifier) ?? []), item]);
    // Notifiers in parallel, one notifier's items in order: a Slack outage holds back only Slack.
    await Promise.all([...byNotifier.entries()].map(([name, list]) => deliver(deliverDeps, name, list)));
    return items.length;
  }

  const loop = createPollLoop({
    pollMs: settings.pollMs,
    log,
    what: 'notifications',
    turn: async () => (await runDue()) >= settings.batch,
  });

  return {
    start: loop.start,
    async stop() {
      await loop.stop();
      await deps.pending.settled();
    },
    poke: loop.poke,
    runDue,
    async drain() {
      for (let i = 0; i < 100; i++) {
        const handled = await runDue();
        await deps.pending.settled();
        if (handled === 0) return;
      }
    },
    unknownNotifiers: unknown,
  };
}
