import type { OwnerCache, OwnerResolution } from '../kube/owner-cache.js';
import type { ChainSubject } from '../kube/owner-chain.js';
import type { OwnerResolver } from '../policy/target.js';
import type { MatchOutcome } from '../policy/types.js';

// `ownerOf` targets at ingest: first in memory from the owner-chain cache; what it cannot tell is read by name in
// one round of bounded lookups (a few dozen at most, in parallel, one deadline); what the API does not answer in time stays
// `deferred`, and the store keeps it for a later try (deferred-matches.ts). The webhook never waits longer than
// the lookup deadline, and never on a healthy cache.

/** How one ownerOf outcome was reached: the `outcome` of salve_owner_resolutions_total. */
export const ownerResolutionOutcomes = ['cache', 'lookup', 'refused', 'deferred'] as const;
export type OwnerResolutionOutcome = (typeof ownerResolutionOutcomes)[number];

const subjectKey = (s: ChainSubject) => `${s.kind}\u0000${s.namespace}\u0000${s.name}`;

const ownerRefusals: ReadonlySet<string> = new Set(['target_unresolved', 'target_kind_mismatch']);

/**
 * The most objects one evaluation reads by name. Labels are hostile: a delivery naming a thousand pods while the
 * cache cannot answer must not become a thousand requests; the rest stay deferred and are tried again later.
 */
export const MAX_LOOKUPS_PER_EVALUATION = 32;

/**
 * Evaluates items with the cache, then once more, after one round of lookups, those with a deferred outcome.
 * `evaluate` is pure: it is called again with a resolver that knows what the lookups found.
 */
export async function evaluateWithOwners<T>(
  items: readonly T[],
  evaluate: (item: T, resolve: OwnerResolver | undefined) => MatchOutcome[],
  owners: OwnerCache | undefined,
  count?: (outcome: OwnerResolutionOutcome) => void,
): Promise<MatchOutcome[][]> {
  const inMemory = owners === undefined ? undefined : (s: ChainSubject) => owners.resolve(s);
  const first = items.map((item) => evaluate(item, inMemory));
  const missed = new Map<string, ChainSubject>();
  for (const outcomes of first) {
    for (const o of outcomes) if (o.outcome === 'deferred') missed.set(subjectKey(o.subject), o.subject);
  }
  if (owners === undefined || missed.size === 0) {
    if (count) tally(first, new Set(), count);
    return first;
  }
  const found = new Map<string, OwnerResolution>();
  await Promise.all(
    [...missed].slice(0, MAX_LOOKUPS_PER_EVALUATION).map(async ([key, subject]) => {
      found.set(key, await owners.resolveOrLookup(subject));
    }),
  );
  const afterLookup: OwnerResolver = (s) => found.get(subjectKey(s)) ?? owners.resolve(s);
  const second = items.map((item, i) =>
    first[i]!.some((o) => o.outcome === 'deferred') ? evaluate(item, afterLookup) : first[i]!,
  );
  if (count) tally(second, new Set(found.keys()), count);
  return second;
}

function tally(
  all: readonly MatchOutcome[][],
  lookedUp: ReadonlySet<string>,
  count: (outcome: OwnerResolutionOutcome) => void,
): void {
  for (const outcomes of all) {
    for (const o of outcomes) {
      if (o.outcome === 'deferred') count('deferred');
      else if (o.outcome === 'refused' && ownerRefusals.has(o.reason)) count('refused');
      else if (o.outcome === 'match' && o.resolution !== undefined)
        count(lookedUp.has(subjectKey(o.resolution.subject)) ? 'lookup' : 'cache');
    }
  }
}
