import { hash } from 'node:crypto';

/** What answering a delivery again needs: its alerts' identities, counted by status, and what it said it left out. */
export type KnownDelivery = {
  readonly ids: readonly string[];
  readonly firing: number;
  readonly resolved: number;
  readonly truncatedAlerts: number;
};

/**
 * Deliveries remembered at most, and the bytes they may hold (estimated: identities are short one-byte
 * strings, often shared with the committed set). Alertmanager re-sends each group's body unchanged until the
 * group changes: one entry per group and receiver that is still firing. What falls out is answered the long
 * way (parsed, validated, looked up), never wrongly.
 */
export const deliveryMemoLimits = { entries: 4_096, bytes: 8 * 1024 * 1024 } as const;

/**
 * The digest that names a body: SHA-256 over its exact bytes. Bodies are hostile input and two bodies sharing a
 * digest would share an answer (one's alerts silently taken for the other's), so only a collision-resistant hash
 * will do.
 */
export const bodyDigest = (bytes: Uint8Array): string => hash('sha256', bytes, 'base64');

/** A generous estimate of what an entry holds on the heap: the key, the record, each identity and its slot. */
const sizeOf = (digest: string, known: KnownDelivery): number => {
  let bytes = 2 * digest.length + 160;
  for (const id of known.ids) bytes += id.length * 2 + 40;
  return bytes;
};

type Generation = { entries: Map<string, KnownDelivery>; bytes: number };
const empty = (): Generation => ({ entries: new Map(), bytes: 0 });

/**
 * Deliveries accepted before, by their body's digest, so that the same bytes sent again (a group Alertmanager
 * re-sends every group_interval and repeat_interval, the same notification from its HA peer: Go writes the same
 * JSON for the same group) are answered without parsing, validating or identifying them again.
 *
 * It only names a delivery's alerts: whether they are committed stays the committed set's to say, at the time of
 * asking (so a store in doubt, a forgotten or evicted identity sends the body the long way). It is filled only
 * with deliveries answered 202: a refused body, or one whose commit failed or timed out, is never in it.
 */
export function createDeliveryMemo(limits: { entries?: number; bytes?: number } = {}) {
  // Two generations of half the bounds each: when the newer fills up, the older is dropped whole; what is
  // asked for again moves to the newer.
  const halfEntries = Math.max(1, Math.floor((limits.entries ?? deliveryMemoLimits.entries) / 2));
  const halfBytes = Math.floor((limits.bytes ?? deliveryMemoLimits.bytes) / 2);
  let newer = empty();
  let older = empty();

  function remember(digest: string, known: KnownDelivery): void {
    if (newer.entries.has(digest)) return;
    const size = sizeOf(digest, known);
    if (size > halfBytes) return;
    if (newer.entries.size >= halfEntries || newer.bytes + size > halfBytes) {
      older = newer;
      newer = empty();
    }
    newer.entries.set(digest, known);
    newer.bytes += size;
  }

  return {
    /** A delivery answered 202: its alerts are committed (or were before). */
    remember,
    /** The delivery these exact bytes were, if remembered. */
    recall(digest: string): KnownDelivery | undefined {
      const hit = newer.entries.get(digest);
      if (hit !== undefined) return hit;
      const old = older.entries.get(digest);
      // Still being re-sent: kept through the next turnover (it stays in the older one until that goes).
      if (old !== undefined) remember(digest, old);
      return old;
    },
    get size(): { entries: number; bytes: number } {
      return {
        entries: newer.entries.size + older.entries.size,
        bytes: newer.bytes + older.bytes,
      };
    },
  };
}
