import type { Clock } from '../../src/clock.js';

export type FakeClock = Clock & {
  /** Moves time forward, waking every sleeper whose time has come. */
  advance(ms: number): Promise<void>;
  set(at: Date | string): void;
  /** How many sleeps are waiting: what is scheduled on this clock, so a test can see that nothing is. */
  pending(): number;
};

/** Where a fake clock starts unless told otherwise. */
export const fakeClockStart = '2026-11-27T03:00:00.000Z';

/** `n` minutes after the fake clock's start, as ISO text (alerts' startsAt, the store's times). */
export const atMinute = (n: number) => new Date(Date.parse(fakeClockStart) + n * 60_000).toISOString();

export function fakeClock(start: Date | string = fakeClockStart): FakeClock {
  let now = new Date(start).getTime();
  let sleepers: Array<{ at: number; resolve: () => void }> = [];
  return {
    now: () => new Date(now),
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper = { at: now + ms, resolve };
        sleepers.push(sleeper);
        signal?.addEventListener(
          'abort',
          () => {
            sleepers = sleepers.filter((s) => s !== sleeper);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      now += ms;
      const due = sleepers.filter((s) => s.at <= now);
      sleepers = sleepers.filter((s) => s.at > now);
      for (const s of due) s.resolve();
      // Let the woken continuations run before the caller looks at the result.
      await new Promise((r) => setImmediate(r));
    },
    set(at) {
      now = new Date(at).getTime();
    },
    pending: () => sleepers.length,
  };
}
