import { isSalveError, isStoreUnavailable } from '../errors.js';
import { createPollLoop } from '../runtime/poll-loop.js';
import { advanceHeal } from './advance.js';
import type { EngineDeps } from './context.js';

export type Scheduler = {
  /** Runs the durable work loop until stop(). */
  start(): void;
  stop(): Promise<void>;
  /** New work may be due (a heal opened, an alert resolved, an approval): look now instead of at the next poll. */
  poke(): void;
  /** Claims and advances what is due now; resolves when that work is done. Tests drive the engine with it. */
  runDue(): Promise<number>;
  /** runDue() until nothing is due any more. */
  drain(): Promise<void>;
};

/**
 * Work lives in the store: every open heal carries its next_run_at and a lease. A restart, even after kill -9,
 * picks up each heal where its last committed move left it.
 */
export function createScheduler(deps: EngineDeps): Scheduler {
  const { settings, log } = deps;
  const inFlight = new Map<string, Promise<void>>();

  /**
   * While a heal is being advanced, its lease is renewed, so a long step is never taken over mid-flight. A lease
   * found lost (the store was out longer than a lease and another replica took the heal over) is not renewed
   * again: the step in flight ends at its next move, which fails the same way, and the heal is the other's.
   */
  function heartbeat(healId: string): () => void {
    const timer = setInterval(
      () => {
        const until = new Date(deps.clock.now().getTime() + settings.leaseMs).toISOString();
        deps.store
          .transition({ id: healId, owner: settings.owner, set: {}, audit: [], renewLeaseUntil: until })
          .catch((err: unknown) => {
            if (isStoreUnavailable(err)) {
              log.debug({ heal: healId }, 'lease not renewed: the store is unavailable');
            } else if (isSalveError(err) && err.code === 'SALVE_HEAL_CONFLICT') {
              clearInterval(timer);
              log.warn(
                { heal: healId },
                'lease of a heal in progress lost to another replica; leaving it to them',
              );
            } else log.warn({ err, heal: healId }, 'could not renew the lease of a heal in progress');
          });
      },
      Math.max(50, settings.leaseMs / 3),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  function launch(healId: string, work: () => Promise<unknown>): Promise<void> {
    const stopHeartbeat = heartbeat(healId);
    const p = work()
      .then(() => undefined)
      .catch((err: unknown) => {
        if (isStoreUnavailable(err)) log.debug({ heal: healId }, 'heal advance waits for the store');
        else log.error({ err, heal: healId }, 'heal advance failed; will retry when due');
      })
      .finally(() => {
        stopHeartbeat();
        inFlight.delete(healId);
        // What it freed (a target lock, a slot) may let other work start.
        loop.poke();
      });
    inFlight.set(healId, p);
    return p;
  }

  async function claimAndLaunch(): Promise<Array<Promise<void>>> {
    const free = settings.concurrency - inFlight.size;
    if (free <= 0) return [];
    const now = deps.clock.now();
    const claimed = await deps.store.claimDueHeals({
      now: now.toISOString(),
      owner: settings.owner,
      leaseUntil: new Date(now.getTime() + settings.leaseMs).toISOString(),
      limit: free + inFlight.size,
    });
    deps.metrics.schedulerQueueDepth.set(claimed.length);
    return claimed.filter((h) => !inFlight.has(h.id)).map((h) => launch(h.id, () => advanceHeal(h, deps)));
  }

  const loop = createPollLoop({
    pollMs: settings.pollMs,
    log,
    what: 'heals',
    turn: async () => {
      await claimAndLaunch();
      return false;
    },
  });

  return {
    start: loop.start,
    async stop() {
      await loop.stop();
      await Promise.all(inFlight.values());
    },
    poke: loop.poke,
    async runDue() {
      const launched = await claimAndLaunch();
      await Promise.all(launched);
      return launched.length;
    },
    async drain() {
      for (let i = 0; i < 100; i++) {
        await Promise.all(inFlight.values());
        if ((await this.runDue()) === 0 && inFlight.size === 0) return;
      }
    },
  };
}
