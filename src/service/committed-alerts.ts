/** What the store's health says: whether it commits, and a count that moves with every failure seen. */
export type StoreTrust = { isUp(): boolean; failuresSeen(): number };

/**
 * Identities remembered: about 240 bytes each (the key and the map's entry, measured), about 11 MiB when full.
 * An Alertmanager rarely has more alerts firing than this; when it does, the oldest are read again.
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
  // Insertion order is age order: the oldest entry is the first key. The value: when it was (re)added.
  const known = new Map<string, number>();
  let added = 0;
  let failures = trust.failuresSeen();

  /** The store is trusted now; empties the set when a failure was seen since it was last asked. */
  function trusted(): Trust {
    const seen = trust.failuresSeen();
    if (seen !== failures) {
      known.clear();
      failures = seen;
    }
    if (!trust.isUp()) {
      known.clear();
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
      if (since === null || known.size === 0) return hits;
      for (const id of ids) if (known.has(id)) hits.add(id);
      return hits;
    },
    /** The store said these are committed; remembered unless a failure was seen since `since`. */
    remember(ids: Iterable<string>, since: Trust): void {
      if (since === null || trusted()?.failures !== since.failures) return;
      for (const id of ids) {
        const at = known.get(id);
        // Moved to the newest when it has aged past half the set: a group still being re-sent stays in.
        if (at !== undefined) {
          if (added - at < capacity / 2) continue;
          known.delete(id);
        }
        known.set(id, added++);
        if (known.size > capacity) known.delete(known.keys().next().value as string);
      }
    },
    /** Something went wrong in a call whose outcome is unknown: start again from the store. */
    forget(): void {
      known.clear();
    },
    get size(): number {
      return known.size;
    },
  };
}

export type CommittedAlerts = ReturnType<typeof createCommittedAlerts>;
