import { expect } from 'vitest';
import type { MatchOutcome } from '../../src/policy/types.js';
import type { Store } from '../../src/store/types.js';
import { alertOf, delivery, matchFor, T } from './store-contract.js';

/**
 * Every statement a store prepares that touches `alerts`, run once: ingest (deferred and matched), the
 * re-delivery read, a deferred match taken and settled, a resolution, the read by start and every form of
 * `listAlerts` the API allows. The plan tests record the statements this sends and plan each one, so a statement
 * added later is covered without being named here.
 */
export async function touchEveryAlertStatement(store: Store, startsAt: string): Promise<void> {
  const pod = 'scorer-6d4f-abcde';
  const alert = alertOf({ alertname: 'KubePodCrashLooping', namespace: 'ml-prod', pod }, { startsAt });
  const deferred: MatchOutcome = {
    outcome: 'deferred',
    policy: 'scorer-error-rate',
    subject: { kind: 'Pod', namespace: 'ml-prod', name: pod },
    detail: 'the Kubernetes API did not answer',
  };
  await store.ingest(delivery([{ alert, outcomes: [deferred] }], T(0)));
  await store.ingest(
    delivery([{ alert: { ...alert, fingerprint: 'fp-m' }, outcomes: [matchFor('scorer')] }]),
  );
  await store.knownAlerts([alert]);
  const due = await store.dueDeferredMatches(T(5), 10);
  expect(due).toHaveLength(1);
  await store.settleDeferredMatch({
    id: due[0]!.id,
    outcome: matchFor('scorer') as Extract<MatchOutcome, { outcome: 'match' }>,
    at: T(6),
  });
  await store.ingest(
    delivery([{ alert: { ...alert, status: 'resolved', endsAt: T(7) }, outcomes: [] }], T(7)),
  );
  await store.alertsByStart([alert]);
  await store.listAlerts({ limit: 10 });
  await store.listAlerts({ fingerprint: alert.fingerprint, startsAt, limit: 10 });
  await store.listAlerts({ startsAt, status: 'firing', limit: 10 });
  await store.listAlerts({
    fingerprint: alert.fingerprint,
    startedSince: T(-600),
    startedUntil: T(0),
    limit: 10,
  });
}
