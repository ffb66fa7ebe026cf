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
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let poked = false;

  function launch(healId: string, work: () => Promise<unknown>): Promise<void> {
    const p = work()
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err, heal: healId }, 'heal advance failed; will retry when due'))
      .finally(() => {
        inFlight.delete(healId);
        poke();
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

  function poke(): void {
    poked = true;
    wake?.();
  }

  async function run(): Promise<void> {
    while (running) {
      poked = false;
      try {
        await claimAndLaunch();
      } catch (err) {
        log.error({ err }, 'scheduler could not claim work');
      }
      if (!running) break;
      if (poked) continue;
      // Real time, not the injected clock: this is only how often to look, never a decision.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settings.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await Promise.all(inFlight.values());
    },
    poke,
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
