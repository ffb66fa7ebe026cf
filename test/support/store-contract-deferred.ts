import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MatchOutcome } from '../../src/policy/types.js';
import { alertOf, delivery, matchFor, type StoreHarness, T } from './store-contract.js';

const subject = (pod: string) => ({ kind: 'Pod' as const, namespace: 'ml-prod', name: pod });

function deferredFor(pod: string, policy = 'scorer-error-rate'): MatchOutcome {
  return { outcome: 'deferred', policy, subject: subject(pod), detail: 'the Kubernetes API did not answer' };
}

const resolvedMatch = (pod: string): Extract<MatchOutcome, { outcome: 'match' }> => ({
  ...(matchFor('scorer') as Extract<MatchOutcome, { outcome: 'match' }>),
  resolution: {
    subject: subject(pod),
    chain: [
      { kind: 'Pod', name: pod },
      { kind: 'ReplicaSet', name: 'scorer-6d4f' },
      { kind: 'Deployment', name: 'scorer' },
    ],
  },
});

/** ownerOf matches the API could not resolve at ingest: kept with their alert, retried, settled exactly once. */
export function runDeferredStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract (deferred matches): ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    const podAlert = (pod: string) =>
      alertOf({ alertname: 'KubePodCrashLooping', namespace: 'ml-prod', pod }, { fingerprint: `fp-${pod}` });

    it('commits a deferred outcome with its alert, audits it, and keeps it due until retried', async () => {
      const alert = podAlert('scorer-6d4f-abcde');
      const result = await h.store.ingest(
        delivery([{ alert, outcomes: [deferredFor('scorer-6d4f-abcde')] }], T(0)),
      );
      expect(result).toMatchObject({ new: 1, deferred: 1, opened: [], refused: 0 });
      const audit = await h.store.queryAudit({ type: 'policy.deferred', limit: 10 });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        outcome: 'deferred',
        policy: 'scorer-error-rate',
        data: { fingerprint: 'fp-scorer-6d4f-abcde', subject: subject('scorer-6d4f-abcde') },
      });
      const due = await h.store.dueDeferredMatches(T(0), 10);
      expect(due).toHaveLength(1);
      expect(due[0]).toMatchObject({
        policy: 'scorer-error-rate',
        subject: subject('scorer-6d4f-abcde'),
        attempts: 0,
        alertResolved: false,
        actor: 'alertmanager:salve',
        delivery: { receiver: 'salve', groupKey: '{}:{alertname="X"}', externalURL: 'http://am' },
        alert: { fingerprint: 'fp-scorer-6d4f-abcde', labels: { pod: 'scorer-6d4f-abcde' } },
      });
      expect(await h.store.countDeferredMatches()).toBe(1);
      // The same delivery again: nothing new, nothing deferred twice.
      await h.store.ingest(delivery([{ alert, outcomes: [deferredFor('scorer-6d4f-abcde')] }], T(1)));
      expect(await h.store.countDeferredMatches()).toBe(1);
      await h.store.retryDeferredMatch(due[0]!.id, T(10), 'still no answer');
      expect(await h.store.dueDeferredMatches(T(9), 10)).toEqual([]);
      expect(await h.store.dueDeferredMatches(T(10), 10)).toMatchObject([
        { attempts: 1, detail: 'still no answer' },
      ]);
    });

    it('settling as a match opens the heal as ingest would (one heal for the target), exactly once', async () => {
      const pods = ['scorer-6d4f-aaaaa', 'scorer-6d4f-bbbbb'];
      await h.store.ingest(
        delivery(pods.map((pod) => ({ alert: podAlert(pod), outcomes: [deferredFor(pod)] }))),
      );
      const due = await h.store.dueDeferredMatches(T(5), 10);
      expect(due.map((d) => d.subject.name).sort()).toEqual(pods);
      const first = await h.store.settleDeferredMatch({
        id: due[0]!.id,
        at: T(6),
        outcome: resolvedMatch(due[0]!.subject.name),
      });
      expect(first?.opened).toHaveLength(1);
      const healId = first!.opened[0]!.id;
      const again = await h.store.settleDeferredMatch({
        id: due[0]!.id,
        at: T(7),
        outcome: resolvedMatch(due[0]!.subject.name),
      });
      expect(again).toBeNull();
      const second = await h.store.settleDeferredMatch({
        id: due[1]!.id,
        at: T(8),
        outcome: resolvedMatch(due[1]!.subject.name),
      });
      expect(second).toMatchObject({ opened: [], attached: [{ id: healId }] });
      const heal = await h.store.getHeal(healId);
      expect(heal).toMatchObject({
        state: 'pending',
        targetKey: 'Deployment/ml-prod/scorer',
        openedAt: T(6),
      });
      expect(heal?.trigger).toMatchObject({
        kind: 'alert',
        receiver: 'salve',
        groupKey: '{}:{alertname="X"}',
      });
      expect((await h.store.healAlerts(healId)).map((a) => a.fingerprint).sort()).toEqual(
        pods.map((p) => `fp-${p}`),
      );
      const opened = await h.store.queryAudit({ type: 'heal.opened', limit: 10 });
      expect(opened[0]).toMatchObject({
        actor: 'alertmanager:salve',
        data: {
          resolution: {
            chain: [{ kind: 'Pod' }, { kind: 'ReplicaSet' }, { kind: 'Deployment', name: 'scorer' }],
          },
        },
      });
      expect(await h.store.countDeferredMatches()).toBe(0);
    });

    it('settling as a refusal or a drop audits it and opens nothing; a resolved alert is flagged', async () => {
      const a = podAlert('scorer-6d4f-aaaaa');
      const b = podAlert('scorer-6d4f-bbbbb');
      await h.store.ingest(
        delivery([
          { alert: a, outcomes: [deferredFor('scorer-6d4f-aaaaa')] },
          { alert: b, outcomes: [deferredFor('scorer-6d4f-bbbbb')] },
        ]),
      );
      await h.store.ingest(
        delivery([{ alert: { ...b, status: 'resolved', endsAt: T(3) }, outcomes: [] }], T(3)),
      );
      const due = await h.store.dueDeferredMatches(T(5), 10);
      const byPod = new Map(due.map((d) => [d.subject.name, d]));
      expect(byPod.get('scorer-6d4f-bbbbb')?.alertResolved).toBe(true);
      expect(byPod.get('scorer-6d4f-aaaaa')?.alertResolved).toBe(false);
      const refused = await h.store.settleDeferredMatch({
        id: byPod.get('scorer-6d4f-aaaaa')!.id,
        at: T(6),
        outcome: {
          outcome: 'refused',
          policy: 'scorer-error-rate',
          reason: 'target_unresolved',
          detail: 'Pod gone',
        },
      });
      expect(refused).toMatchObject({ refused: 1, opened: [] });
      const dropped = await h.store.settleDeferredMatch({
        id: byPod.get('scorer-6d4f-bbbbb')!.id,
        at: T(6),
        outcome: {
          outcome: 'dropped',
          policy: 'scorer-error-rate',
          reason: 'alert_resolved',
          detail: 'resolved first',
        },
      });
      expect(dropped).toMatchObject({ opened: [], refused: 0 });
      expect(await h.store.queryAudit({ type: 'policy.refused', limit: 10 })).toMatchObject([
        { outcome: 'target_unresolved', data: { fingerprint: 'fp-scorer-6d4f-aaaaa', detail: 'Pod gone' } },
      ]);
      expect(await h.store.queryAudit({ type: 'policy.deferred_dropped', limit: 10 })).toMatchObject([
        { outcome: 'alert_resolved', data: { fingerprint: 'fp-scorer-6d4f-bbbbb' } },
      ]);
      expect(await h.store.listHeals({ limit: 10 })).toEqual([]);
      expect((await h.store.verifyAudit()).ok).toBe(true);
    });

    it('two settlements of one match at the same moment: one writes, the other finds it gone', async () => {
      await h.store.ingest(
        delivery([{ alert: podAlert('scorer-6d4f-aaaaa'), outcomes: [deferredFor('scorer-6d4f-aaaaa')] }]),
      );
      const [m] = await h.store.dueDeferredMatches(T(5), 10);
      const results = await Promise.all(
        [6, 7].map((s) =>
          h.store.settleDeferredMatch({ id: m!.id, at: T(s), outcome: resolvedMatch('scorer-6d4f-aaaaa') }),
        ),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await h.store.listHeals({ limit: 10 })).toHaveLength(1);
    });
  });
}
