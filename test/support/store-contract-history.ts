import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionRecordInput } from '../../src/domain/ledger.js';
import { alertOf, delivery, matchFor, openTestHeal, type StoreHarness, T } from './store-contract.js';

const recordFor = (healId: string, deployment: string, step: number): ActionRecordInput => ({
  healId,
  policy: 'scorer-error-rate',
  targetKey: `Deployment/ml-prod/${deployment}`,
  action: step === 0 ? 'k8s.restart' : 'k8s.rollback',
  step,
  attempt: 0,
  dryRun: false,
});

/** The heal history statistics are computed from: the same records from every store. */
export function runHistoryStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract (heal history): ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    it('gives the heals opened since a time, oldest first, each with its ledger rows by step', async () => {
      const before = await openTestHeal(h, 'old', T(0));
      const first = await openTestHeal(h, 'a', T(10));
      const second = await openTestHeal(h, 'b', T(20));
      await h.store.claimDueHeals({ now: T(21), owner: 'o', leaseUntil: T(59), limit: 10 });
      // The first acts at step 1, fails, acts at step 2 and resolves; the second keeps a bare slot.
      await h.store.transition({
        id: first,
        owner: 'o',
        set: { stage: 'action' },
        audit: [],
        startAction: recordFor(first, 'a', 0),
      });
      await h.store.transition({
        id: first,
        owner: 'o',
        set: { step: 1 },
        audit: [],
        finishAction: { step: 0, status: 'failed', detail: 'boom' },
        startAction: recordFor(first, 'a', 1),
      });
      await h.store.transition({
        id: first,
        owner: 'o',
        set: { stage: 'resolved', reason: 'alerts_resolved', closedAt: T(40) },
        audit: [],
        finishAction: { step: 1, status: 'changed', detail: 'rolled back' },
        releaseLease: true,
      });
      await h.store.transition({
        id: second,
        owner: 'o',
        set: {},
        audit: [],
        reserveSlot: { action: recordFor(second, 'b', 0), limits: { global: { since: T(0), max: 10 } } },
      });

      const all = await h.store.healHistory({ since: T(5) });
      expect(all.map((r) => r.id)).toEqual([first, second]);
      expect(all.map((r) => r.id)).not.toContain(before);
      expect(all[0]).toEqual({
        id: first,
        policy: 'scorer-error-rate',
        targetKey: 'Deployment/ml-prod/a',
        state: 'resolved',
        reason: 'alerts_resolved',
        step: 1,
        steps: ['k8s.restart'],
        dryRun: false,
        approvedBy: null,
        openedAt: T(10),
        closedAt: T(40),
        actions: [
          { step: 0, action: 'k8s.restart', status: 'failed', startedAt: expect.any(String), dryRun: false },
          {
            step: 1,
            action: 'k8s.rollback',
            status: 'changed',
            startedAt: expect.any(String),
            dryRun: false,
          },
        ],
      });
      expect(all[1]).toMatchObject({ state: 'pending', closedAt: null, actions: [{ status: 'reserved' }] });
    });

    it('reads one policy alone, and a window with no heal as empty', async () => {
      await openTestHeal(h, 'a', T(10));
      const alert = alertOf({ alertname: 'X', deployment: 'a' }, { fingerprint: 'fp-other' });
      await h.store.ingest(delivery([{ alert, outcomes: [matchFor('a', 'other-policy')] }], T(11)));
      const other = await h.store.healHistory({ since: T(0), policy: 'other-policy' });
      expect(other.map((r) => [r.policy, r.targetKey])).toEqual([['other-policy', 'Deployment/ml-prod/a']]);
      expect(await h.store.healHistory({ since: T(12) })).toEqual([]);
      expect(await h.store.healHistory({ since: T(0), policy: 'nobody' })).toEqual([]);
    });

    it('lists the alerts received since a time, in the order they were received (what a backtest replays)', async () => {
      await openTestHeal(h, 'a', T(10));
      await openTestHeal(h, 'b', T(20));
      await openTestHeal(h, 'c', T(30));
      const since = await h.store.listAlerts({ limit: 10, receivedSince: T(20) });
      expect(since.map((a) => [a.fingerprint, a.receivedAt])).toEqual([
        ['fp-b', T(20)],
        ['fp-c', T(30)],
      ]);
      const page = await h.store.listAlerts({ limit: 1, receivedSince: T(20), afterId: since[0]!.id });
      expect(page.map((a) => a.fingerprint)).toEqual(['fp-c']);
    });
  });
}
