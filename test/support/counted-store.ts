import path from 'node:path';
import type { Alert } from '../../src/alerts/schema.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { buildTestApp, prepareSalveDir } from './build-test-app.js';
import { fakeClock } from './fake-clock.js';
import { payload } from './fixtures.js';

export type GroupBody = { alerts: Alert[] } & Record<string, unknown>;

let n = 0;
/** A delivery of `size` new firing alerts of one group, the next scorer each call (matches the serving policy). */
export const alertGroup = (size = 3): GroupBody => {
  n += 1;
  return payload(
    Array.from({ length: size }, (_, i) => ({
      labels: {
        alertname: 'ModelServingErrorRate',
        severity: 'critical',
        namespace: 'ml-prod',
        deployment: `scorer-${n}`,
        pod: `scorer-${n}-${i}`,
      },
    })),
  ) as GroupBody;
};

/** The real SQLite store, with its calls counted and its next ingest made to fail on demand. */
export function countedStore(dir: string) {
  const clock = fakeClock();
  const store = openSqliteStore({ file: path.join(dir, 'salve.db'), clock });
  const calls = { knownAlerts: 0, ingest: 0 };
  let failNextIngest: Error | null = null;
  const counted: Store = {
    ...store,
    knownAlerts: (alerts) => {
      calls.knownAlerts += 1;
      return store.knownAlerts(alerts);
    },
    ingest: (input) => {
      calls.ingest += 1;
      const err = failNextIngest;
      failNextIngest = null;
      return err ? Promise.reject(err) : store.ingest(input);
    },
  };
  return {
    store: counted,
    clock,
    calls,
    failNextIngest(err: Error) {
      failNextIngest = err;
    },
  };
}

/** A test app on a counted store (its clock the app's). */
export async function appWithCountedStore() {
  const { dir } = prepareSalveDir();
  const counted = countedStore(dir);
  const t = await buildTestApp({ dir, overrides: { store: counted.store, clock: counted.clock } });
  return { t, ...counted };
}
