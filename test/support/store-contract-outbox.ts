import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestHeal, type StoreHarness, T } from './store-contract.js';

/** The durable outbox: notifications committed with heal moves, claimed, retried and finished. */
export function runOutboxStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract (outbox): ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });
    const openHeal = () => openTestHeal(h);

    it('notifications committed with a move wait in the outbox until sent, retried or given up', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      const event = {
        kind: 'heal.opened' as const,
        at: T(1),
        heal: {
          id,
          policy: 'scorer-error-rate',
          target: { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' },
          targetKey: 'Deployment/ml-prod/scorer',
          state: 'running',
          dryRun: false,
          openedAt: T(0),
          steps: [{ action: 'k8s.restart' }],
          url: null,
          consoleUrl: null,
          pagedAt: null,
        },
        alert: null,
      };
      await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        notify: [
          { notifier: 'slack', event },
          { notifier: 'hook', event },
        ],
      });
      expect(await h.store.countPendingOutbox()).toBe(2);
      const claimed = await h.store.claimOutbox({ now: T(2), owner: 'w1', leaseUntil: T(32), limit: 10 });
      expect(claimed.map((c) => c.notifier)).toEqual(['slack', 'hook']);
      expect(claimed[0]).toMatchObject({ healId: id, attempts: 0, event });
      expect(await h.store.claimOutbox({ now: T(3), owner: 'w2', leaseUntil: T(33), limit: 10 })).toEqual([]);
      const audit = {
        type: 'notification.sent',
        actor: 'salve',
        healId: id,
        policy: 'p',
        target: null,
        outcome: 'sent',
        data: {},
      };
      await h.store.finishOutbox(claimed[0]!.id, { outcome: 'sent', at: T(4) }, [audit]);
      await h.store.finishOutbox(
        claimed[1]!.id,
        { outcome: 'retry', at: T(4), nextAttemptAt: T(60), error: 'HTTP 500' },
        [],
      );
      expect(await h.store.countPendingOutbox()).toBe(1);
      expect(await h.store.claimOutbox({ now: T(10), owner: 'w2', leaseUntil: T(40), limit: 10 })).toEqual(
        [],
      );
      const retried = await h.store.claimOutbox({ now: T(60), owner: 'w2', leaseUntil: T(90), limit: 10 });
      expect(retried).toHaveLength(1);
      expect(retried[0]).toMatchObject({ notifier: 'hook', attempts: 1 });
      await h.store.finishOutbox(retried[0]!.id, { outcome: 'dead', at: T(61), error: 'HTTP 404' }, []);
      expect(await h.store.countPendingOutbox()).toBe(0);
      expect((await h.store.queryAudit({ type: 'notification.sent', limit: 10 })).length).toBe(1);
    });
  });
}
