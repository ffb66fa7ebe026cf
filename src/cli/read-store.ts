import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { openStore } from '../deps.js';
import { auditKeyFrom } from '../store/audit-chain.js';
import type { Store } from '../store/types.js';

/**
 * The configured store, for a command that only reads it: no audit key needed (nothing is sealed), and no
 * waiting for the database at start-up (SALVE_STORE_WAIT is the server's). Closed after `use`.
 */
export async function withReadStore<T>(
  config: Config,
  clock: Clock,
  use: (store: Store) => Promise<T>,
): Promise<T> {
  const store = openStore({ ...config, storeWait: 0 }, clock, auditKeyFrom(randomBytes(32)));
  try {
    await store.migrate();
    return await use(store);
  } finally {
    await store.close();
  }
}
