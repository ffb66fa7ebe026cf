/** Polls `probe` until `ok` holds; fails with the last value seen once the deadline passes. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (ok(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError === undefined ? JSON.stringify(last) : String(lastError);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Things to stop, stopped in reverse order, every one of them even when some fail. */
export type Cleanup = {
  defer(stop: () => Promise<unknown> | unknown): void;
  run(): Promise<void>;
};

export function cleanupStack(): Cleanup {
  const stops: Array<() => Promise<unknown> | unknown> = [];
  return {
    defer(stop) {
      stops.push(stop);
    },
    async run() {
      const errors: unknown[] = [];
      while (stops.length > 0) {
        const stop = stops.pop()!;
        try {
          await stop();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
    },
  };
}
