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
