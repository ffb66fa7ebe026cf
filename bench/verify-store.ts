import path from 'node:path';
import { systemClock } from '../src/clock.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';
import type { DeliveryStream } from './deliveries.js';

/** Where a killed server left its alerts: salve.db in its data directory, or a PostgreSQL database. */
export type StoreLocation = { kind: 'sqlite'; dir: string } | { kind: 'postgres'; url: string };

function openAt(location: StoreLocation): Store {
  return location.kind === 'sqlite'
    ? openSqliteStore({ file: path.join(location.dir, 'salve.db'), clock: systemClock() })
    : openPostgresStore({ url: location.url, clock: systemClock() });
}

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
  location: StoreLocation,
  stream: DeliveryStream,
  ackedGroups: ReadonlySet<number>,
  acknowledgedDeliveries: number,
): Promise<DurabilityCheck> {
  const store = openAt(location);
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
