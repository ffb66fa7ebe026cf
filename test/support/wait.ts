/** Thrown by a probe, it ends the wait at once: a process that exited will never answer. */
export class GiveUp extends Error {}

/** How long to keep looking, and how often. */
export type WaitOptions = { timeoutMs?: number; everyMs?: number };

/**
 * Polls `probe` until `ok` holds and returns what it saw. A probe that throws counts as not yet (a server still
 * starting), unless it throws GiveUp; past the deadline the wait fails naming `what` with the last value or
 * error seen. The one way tests wait: on an observable condition, never for a fixed time.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  ok: (value: T) => boolean,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 20_000, everyMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: { value: T } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value)) return value;
      last = { value };
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen =
        last === undefined ? 'nothing' : 'error' in last ? String(last.error) : JSON.stringify(last.value);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen?.slice(0, 2000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Waits until `check` holds (see waitFor). */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> {
  await waitFor(what, check, (holds) => holds, options);
}
