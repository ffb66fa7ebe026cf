/**
 * A simulator clock that runs `agoMs` behind until `present()`: what is seeded before then (the releases of a
 * scenario) carries creationTimestamps from before the alerts a test or the demo fires "now", as a real
 * cluster's history would. k8s.rollback's last known good never looks past an alert's start.
 */
export function releaseClock(agoMs: number, base: () => number = Date.now) {
  let offset = agoMs;
  return {
    now: () => base() - offset,
    present(): void {
      offset = 0;
    },
  };
}

/** How long before "now" the demo scenario's releases ran. */
export const demoReleasedAgoMs = 6 * 3_600_000;
