import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { DeliveryStream } from './deliveries.js';

export type DurabilityCheck = {
  acknowledgedDeliveries: number;
  /** Distinct alerts carried by the acknowledged deliveries: each must be in the store. */
  acknowledgedAlerts: number;
  stored: number;
  missing: number;
  ok: boolean;
};

/**
 * Reads the store the killed server left behind, through the Store interface, and checks that every
 * alert of every acknowledged delivery is in it. More may be stored (requests in flight when the load stopped).
 */
export async function verifyDurability(
  dir: string,
  stream: DeliveryStream,
  ackedGroups: ReadonlySet<number>,
  acknowledgedDeliveries: number,
): Promise<DurabilityCheck> {
  const store = openSqliteStore({ file: path.join(dir, 'salve.db'), clock: systemClock() });
  try {
    const stored = new Set<string>();
    let afterId = 0;
    for (;;) {
      const page = await store.listAlerts({ limit: 10_000, afterId });
      for (const a of page) stored.add(`${a.fingerprint}/${a.startsAt}`);
      const last = page.at(-1);
      if (last === undefined) break;
      afterId = last.id;
    }
    let expected = 0;
    let missing = 0;
    for (const group of ackedGroups) {
      for (const key of stream.alertKeys(group)) {
        expected += 1;
        if (!stored.has(key)) missing += 1;
      }
    }
    return {
      acknowledgedDeliveries,
      acknowledgedAlerts: expected,
      stored: stored.size,
      missing,
      ok: missing === 0,
    };
  } finally {
    await store.close();
  }
}
