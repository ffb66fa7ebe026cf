/**
 * Best-effort work started outside any durable queue (a reply to a click): nothing waits for it, but a drain
 * or a shutdown does, so that a test or a stopping process sees it finished.
 */
export type PendingWork = {
  track(work: Promise<unknown>): void;
  /** Resolves once everything tracked so far has settled (failures are the work's own to report). */
  settled(): Promise<void>;
};

export function createPendingWork(): PendingWork {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      pending.add(settled);
      void settled.finally(() => pending.delete(settled));
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
