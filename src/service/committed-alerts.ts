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
export function createCommittedAlerts(trust: StoreTrust, capacity = committedAlertsCapacity) {
  // Two generations of half the capacity each: when the newer fills up, the older is dropped whole (no
  // per-entry eviction, which a Map used as a queue makes slow). What is remembered again joins the newer.
  const half = Math.max(1, Math.floor(capacity / 2));
  let newer = new Set<string>();
  let older = new Set<string>();
  let failures = trust.failuresSeen();

  const clear = () => {
    newer = new Set();
    older = new Set();
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
      for (const id of ids) if (newer.has(id) || older.has(id)) hits.add(id);
      return hits;
    },
    /** The store said these are committed; remembered unless a failure was seen since `since`. */
    remember(ids: Iterable<string>, since: Trust): void {
      if (since === null || trusted()?.failures !== since.failures) return;
      for (const id of ids) {
        if (newer.has(id)) continue;
        // A group still being re-sent stays in: it moves to the newer generation.
        newer.add(id);
        if (newer.size >= half) {
          older = newer;
          newer = new Set();
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
