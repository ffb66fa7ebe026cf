import { isStoreUnavailable } from '../errors.js';
import type { Logger } from '../observability/logger.js';

export type PollLoop = {
  start(): void;
  /** Stops looking; resolves when the turn in progress is over. */
  stop(): Promise<void>;
  /** Work may be due: look now instead of at the next poll. */
  poke(): void;
};

/**
 * The shape of every durable work loop here (heals, notifications): run a turn, then sleep until poked or until
 * `pollMs` has passed. `turn` answers whether more is waiting right now. Real time, not the injected clock:
 * this is only how often to look, never a decision.
 */
export function createPollLoop(options: {
  pollMs: number;
  log: Logger;
  what: string;
  turn: () => Promise<boolean>;
}): PollLoop {
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let poked = false;

  async function run(): Promise<void> {
    while (running) {
      poked = false;
      let more = false;
      try {
        more = await options.turn();
      } catch (err) {
        // The store's outage is logged once, where it is watched; a turn a second would repeat it.
        if (isStoreUnavailable(err))
          options.log.debug({ loop: options.what }, 'work loop waits for the store');
        else options.log.error({ err, loop: options.what }, 'work loop turn failed');
      }
      if (!running) break;
      if (poked || more) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
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
    },
    poke() {
      poked = true;
      wake?.();
    },
  };
}
