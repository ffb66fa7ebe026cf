import { startsAtOfIdentity } from '../alerts/identity.js';
import type { Clock } from '../clock.js';

/** What the store's health says: whether it commits, and a count that moves with every failure seen. */
export type StoreTrust = { isUp(): boolean; failuresSeen(): number };

/**
 * Identities remembered at most: about 230 bytes each (the key and its entry, measured), about 11 MiB when
 * full. An Alertmanager rarely has more alerts firing than this; when it does, the oldest are read again.
 */
export const committedAlertsCapacity = 50_000;

/** Taken before a store call, passed back with what it answered: was the store trusted all along? */
export type Trust = { readonly failures: number } | null;

/**
 * How far ahead of salve's clock the clock that dates alerts (Prometheus's) may run. An alert a previous process
 * committed started before it stopped, by that clock; this process started later (a restart takes seconds). So
 * together with the restart's own gap, this covers clocks apart by seconds; NTP keeps them within milliseconds.
 * An alert dated by a clock further ahead is only not looked up: it is matched again and the store deduplicates it.
 */
export const clockSkewMs = 1_000;

export type CommittedAlertsOptions = {
  capacity?: number;
  /**
   * This process is the only one that commits alerts to its store (SQLite): then the set is complete for
   * every alert started after it began (plus the clock skew), and only older ones can be in the store unseen.
   */
  sole?: { clock: Clock };
};

const isoAfter = (clock: Clock, ms: number) => new Date(clock.now().getTime() + ms).toISOString();
const later = (a: string, b: string) => (a > b ? a : b);

/**
 * Alert identities this process knows to be committed, so that a re-delivery (a group Alertmanager re-sends,
 * the same group from an HA peer) is answered without a read. An identity is added only after the store said
 * so: its `ingest` resolved (the delivery is committed), or `knownAlerts` found it. What the set misses goes
 * the normal way, and the store deduplicates (INSERT OR IGNORE), so correctness stays with the store.
 *
 * The set must never make an alert that is not durable look known. What could make it lie is the store
 * losing commits it acknowledged (a database restored or failed over under a running salve, an SQLite file
 * replaced): every such event shows as failures first (a probe, a call). So the set is emptied whenever a
 * failure is seen, is not used at all while the store is down, and never learns from a call during which a
 * failure was seen. Several replicas on one PostgreSQL each keep their own set: what one commits, another
 * learns by reading it.
 */
export function createCommittedAlerts(trust: StoreTrust, options: CommittedAlertsOptions = {}) {
  // Two generations of half the capacity each: when the newer fills up, the older is dropped whole (no
  // per-entry eviction, which a Map used as a queue makes slow). What is remembered again joins the newer.
  const half = Math.max(1, Math.floor((options.capacity ?? committedAlertsCapacity) / 2));
  let newer = new Set<string>();
  let older = new Set<string>();
  // The latest start time (canonical ISO text, which sorts as time does) among each generation's identities.
  let newerLatest = '';
  let olderLatest = '';
  const remembered = (id: string) => newer.has(id) || older.has(id);
  let failures = trust.failuresSeen();
  const sole = options.sole;
  // Sole writer: an alert started after `bound` is committed only if the set holds it. Before anything was
  // seen, that is every alert started after this process began; what the set drops or empties moves it on,
  // never past the present (so a hostile far-future start time cannot make every later alert be read).
  let bound = sole ? isoAfter(sole.clock, clockSkewMs) : null;
  const coverUpTo = (latest: string) => {
    if (sole === undefined || bound === null) return;
    const now = isoAfter(sole.clock, clockSkewMs);
    bound = later(bound, latest < now ? latest : now);
  };

  const clear = () => {
    // Emptied because a call's outcome is unknown or the store was in doubt: anything started up to now may
    // be in the store unseen (an ingest that failed may still have committed).
    coverUpTo('\uffff');
    newer = new Set();
    older = new Set();
    newerLatest = '';
    olderLatest = '';
  };

  /** The store is trusted now; empties the set when a failure was seen since it was last asked. */
  function trusted(): Trust {
    const seen = trust.failuresSeen();
    if (seen !== failures) {
      clear();
      failures = seen;
    }
    if (!trust.isUp()) {
      clear();
      return null;
    }
    return { failures: seen };
  }

  return {
    /** Null while the store is in doubt: then nothing may be answered from memory (nor from a read). */
    trusted,
    /** Those of these identities remembered as committed (none without trust). */
    knownOf(ids: readonly string[], since: Trust): Set<string> {
      const hits = new Set<string>();
      if (since === null) return hits;
      for (const id of ids) if (remembered(id)) hits.add(id);
      return hits;
    },
    /** Whether every one of these identities is remembered as committed (never without trust). */
    allKnown(ids: readonly string[], since: Trust): boolean {
      if (since === null) return false;
      // A delivery's alerts were mostly remembered together: each is looked for first in the generation that
      // held the one before, so a group that aged into the older generation costs one probe per alert, not two.
      let first = newer;
      let second = older;
      for (const id of ids) {
        if (first.has(id)) continue;
        if (!second.has(id)) return false;
        const held = second;
        second = first;
        first = held;
      }
      return true;
    },
    /**
     * Whether an alert that started at `startsAt` (canonical ISO text) and that the set does not hold may
     * still be in the store: always, unless this process is the store's only writer and the alert started
     * after the set became complete.
     */
    mayBeCommitted(startsAt: string): boolean {
      return bound === null || startsAt <= bound;
    },
    /** The store said these are committed; remembered unless a failure was seen since `since`. */
    remember(ids: Iterable<string>, since: Trust): void {
      if (since === null || trusted()?.failures !== since.failures) return;
      for (const id of ids) {
        if (newer.has(id)) continue;
        // A group still being re-sent stays in: it moves to the newer generation.
        newer.add(id);
        if (bound !== null) newerLatest = later(newerLatest, startsAtOfIdentity(id));
        if (newer.size >= half) {
          // The older generation goes: what it held may be in the store, unseen from now on.
          coverUpTo(olderLatest);
          older = newer;
          olderLatest = newerLatest;
          newer = new Set();
          newerLatest = '';
        }
      }
    },
    /** Something went wrong in a call whose outcome is unknown: start again from the store. */
    forget: clear,
    get size(): number {
      return newer.size + older.size;
    },
  };
}

export type CommittedAlerts = ReturnType<typeof createCommittedAlerts>;
