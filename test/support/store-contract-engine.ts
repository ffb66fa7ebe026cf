import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualHealInput } from '../../src/store/types.js';
import { alertOf, delivery, openTestHeal, type StoreHarness, T } from './store-contract.js';
import { runHistoryStoreContract } from './store-contract-history.js';
import { runOutboxStoreContract } from './store-contract-outbox.js';
import { runSlotStoreContract } from './store-contract-slots.js';

export function manualInput(extra: Partial<ManualHealInput> = {}): ManualHealInput {
  return {
    policy: 'scorer-error-rate',
    targetKey: 'Deployment/ml-prod/scorer',
    target: { kind: 'Deployment', namespace: 'ml-prod', name: 'scorer' },
    steps: [{ action: 'k8s.restart', params: {}, verify: {} }],
    dryRun: false,
    actor: 'token:ops',
    reason: 'by hand',
    force: false,
    idempotencyKey: null,
    requestDigest: extra.idempotencyKey ? 'digest-of-the-request' : null,
    at: T(0),
    ...extra,
  };
}

/** The engine's half of the Store contract: claims, leases, transitions, locks, the action ledger. */
export function runEngineStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  runOutboxStoreContract(name, open);
  runSlotStoreContract(name, open);
  runHistoryStoreContract(name, open);
  describe(`Store contract (engine): ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    const openHeal = (deployment = 'scorer', at = T(0)) => openTestHeal(h, deployment, at);

    it('a new heal is due at once; claiming leases it so another owner cannot take it until the lease expires', async () => {
      const id = await openHeal();
      const a = await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      expect(a.map((x) => x.id)).toEqual([id]);
      expect(a[0]).toMatchObject({ stage: 'guards', state: 'pending', nextRunAt: T(0) });
      expect(await h.store.claimDueHeals({ now: T(2), owner: 'b', leaseUntil: T(32), limit: 10 })).toEqual(
        [],
      );
      expect(
        (await h.store.claimDueHeals({ now: T(3), owner: 'a', leaseUntil: T(33), limit: 10 })).map(
          (x) => x.id,
        ),
      ).toEqual([id]);
      expect(
        (await h.store.claimDueHeals({ now: T(40), owner: 'b', leaseUntil: T(70), limit: 10 })).map(
          (x) => x.id,
        ),
      ).toEqual([id]);
    });

    it('a heal scheduled for later is not claimed before its time', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await h.store.transition({ id, owner: 'a', set: { nextRunAt: T(20) }, audit: [] });
      expect(await h.store.claimDueHeals({ now: T(10), owner: 'a', leaseUntil: T(40), limit: 10 })).toEqual(
        [],
      );
      expect(
        await h.store.claimDueHeals({ now: T(20), owner: 'a', leaseUntil: T(50), limit: 10 }),
      ).toHaveLength(1);
    });

    it('a transition by an owner that lost the lease, or from a stale state, changes nothing', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await expect(
        h.store.transition({ id, owner: 'b', set: { stage: 'action' }, audit: [] }),
      ).rejects.toMatchObject({
        code: 'SALVE_HEAL_CONFLICT',
      });
      await expect(
        h.store.transition({
          id,
          owner: 'a',
          expectStage: 'approval',
          set: { stage: 'action' },
          audit: [],
        }),
      ).rejects.toMatchObject({ code: 'SALVE_HEAL_CONFLICT' });
      const before = await h.store.queryAudit({ healId: id, limit: 100 });
      const moved = await h.store.transition({
        id,
        owner: 'a',
        expectStage: 'guards',
        set: { stage: 'action', attempt: 1 },
        audit: [
          {
            type: 'test.moved',
            actor: 'salve',
            healId: id,
            policy: 'p',
            target: 't',
            outcome: 'ok',
            data: {},
          },
        ],
      });
      expect(moved).toMatchObject({ stage: 'action', state: 'running', attempt: 1 });
      expect(await h.store.queryAudit({ healId: id, limit: 100 })).toHaveLength(before.length + 1);
      expect(await h.store.verifyAudit()).toMatchObject({ ok: true });
    });

    it('releasing leases lets anyone claim at once', async () => {
      await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await h.store.releaseLeases(null);
      expect(
        await h.store.claimDueHeals({ now: T(2), owner: 'b', leaseUntil: T(32), limit: 10 }),
      ).toHaveLength(1);
    });

    it('the action ledger feeds cooldown and rate limits: started and finished count, failed and dry-run do not', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      const record = {
        healId: id,
        policy: 'scorer-error-rate',
        targetKey: 'Deployment/ml-prod/scorer',
        action: 'k8s.restart',
        step: 0,
        attempt: 0,
        dryRun: false,
      };
      await h.store.transition({ id, owner: 'a', set: {}, audit: [], startAction: record });
      expect(await h.store.countActions({ targetKey: record.targetKey, since: T(0) })).toBe(1);
      // A retry of the same step is the same action, not a second one.
      await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        startAction: { ...record, attempt: 1 },
      });
      expect(await h.store.countActions({ targetKey: record.targetKey, since: T(0) })).toBe(1);
      await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        finishAction: { step: 0, status: 'changed', detail: 'ok' },
      });
      expect(await h.store.lastActionAt('scorer-error-rate', record.targetKey)).toEqual(expect.any(String));
      await h.store.transition({ id, owner: 'a', set: {}, audit: [], startAction: { ...record, step: 1 } });
      await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        finishAction: { step: 1, status: 'failed', detail: 'no' },
      });
      await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        startAction: { ...record, step: 2, dryRun: true },
      });
      expect(
        await h.store.countActions({ targetKey: record.targetKey, since: T(0), excludeDryRun: true }),
      ).toBe(1);
      expect(await h.store.countActions({ since: T(0) })).toBe(2);
      expect(await h.store.countActions({ policy: 'other', since: T(0) })).toBe(0);
      expect(await h.store.lastActionAt('other', record.targetKey)).toBeNull();
    });

    it('a target lock admits one heal at a time until released or expired', async () => {
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/x', 'heal-a', T(0), T(30))).toBe(true);
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/x', 'heal-b', T(1), T(31))).toBe(false);
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/x', 'heal-a', T(2), T(40))).toBe(true);
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/y', 'heal-b', T(2), T(40))).toBe(true);
      await h.store.releaseTargetLock('Deployment/ml-prod/x', 'heal-a');
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/x', 'heal-b', T(3), T(33))).toBe(true);
      expect(await h.store.acquireTargetLock('Deployment/ml-prod/x', 'heal-c', T(34), T(60))).toBe(true);
    });

    it('manual heals: the same idempotency key returns the same heal; an open heal on the target is returned', async () => {
      const first = await h.store.openManualHeal(manualInput({ idempotencyKey: 'k1' }));
      expect(first.created).toBe(true);
      expect(first.heal).toMatchObject({
        state: 'pending',
        trigger: { kind: 'manual', actor: 'token:ops' },
        idempotencyKey: 'k1',
      });
      const again = await h.store.openManualHeal(manualInput({ idempotencyKey: 'k1' }));
      expect(again).toMatchObject({ created: false, heal: { id: first.heal.id } });
      const other = await h.store.openManualHeal(manualInput({ idempotencyKey: 'k2' }));
      expect(other).toMatchObject({ created: false, heal: { id: first.heal.id } });
      const records = await h.store.queryAudit({ healId: first.heal.id, limit: 10 });
      expect(records.map((r) => r.type)).toEqual(['heal.opened']);
    });

    it('manual heals keep their trace context; a move may set it, once the heal had none', async () => {
      const tp = `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`;
      const traced = await h.store.openManualHeal(manualInput({ traceContext: tp }));
      expect(traced.heal.traceContext).toBe(tp);
      expect((await h.store.getHeal(traced.heal.id))?.traceContext).toBe(tp);
      const plain = await h.store.openManualHeal(
        manualInput({
          targetKey: 'Deployment/ml-prod/other',
          target: { kind: 'Deployment', namespace: 'ml-prod', name: 'other' },
        }),
      );
      expect(plain.heal.traceContext).toBeNull();
      const moved = await h.store.transition({
        id: plain.heal.id,
        owner: null,
        set: { traceContext: tp },
        audit: [],
      });
      expect(moved.traceContext).toBe(tp);
    });

    it('manual heals: a key is the caller’s own, and the same key with another request is refused', async () => {
      const mine = await h.store.openManualHeal(manualInput({ idempotencyKey: 'k1' }));
      await expect(
        h.store.openManualHeal(manualInput({ idempotencyKey: 'k1', requestDigest: 'another-request' })),
      ).rejects.toMatchObject({ code: 'SALVE_HEAL_IDEMPOTENCY_MISMATCH', details: { heal: mine.heal.id } });
      // Another caller's k1 is another key: it does not find (or disturb) the first caller's heal.
      const theirs = await h.store.openManualHeal(
        manualInput({
          idempotencyKey: 'k1',
          actor: 'token:other',
          targetKey: 'Deployment/ml-prod/other',
          target: { kind: 'Deployment', namespace: 'ml-prod', name: 'other' },
        }),
      );
      expect(theirs.created).toBe(true);
      expect(theirs.heal.id).not.toBe(mine.heal.id);
    });

    it('a resolved alert wakes the heals it is attached to', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await h.store.transition({ id, owner: 'a', set: { nextRunAt: T(600) }, audit: [] });
      const resolved = {
        ...alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-scorer' }),
        status: 'resolved' as const,
      };
      await h.store.ingest(delivery([{ alert: resolved, outcomes: [] }], T(5)));
      expect((await h.store.getHeal(id))?.nextRunAt).toBe(T(5));
    });

    it('closing as resolved fails while an attached alert still fires', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await expect(
        h.store.transition({
          id,
          owner: 'a',
          set: { stage: 'resolved' },
          audit: [],
          requireAlertsResolved: true,
        }),
      ).rejects.toMatchObject({ code: 'SALVE_HEAL_CONFLICT' });
      const resolved = {
        ...alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-scorer' }),
        status: 'resolved' as const,
      };
      await h.store.ingest(delivery([{ alert: resolved, outcomes: [] }], T(5)));
      const closed = await h.store.transition({
        id,
        owner: 'a',
        set: { stage: 'resolved' },
        audit: [],
        requireAlertsResolved: true,
      });
      expect(closed.state).toBe('resolved');
    });

    it('a renewed lease keeps other owners away', async () => {
      await openHeal();
      const [heal] = await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      await h.store.transition({ id: heal!.id, owner: 'a', set: {}, audit: [], renewLeaseUntil: T(100) });
      expect(await h.store.claimDueHeals({ now: T(40), owner: 'b', leaseUntil: T(70), limit: 10 })).toEqual(
        [],
      );
      expect(
        await h.store.claimDueHeals({ now: T(101), owner: 'b', leaseUntil: T(130), limit: 10 }),
      ).toHaveLength(1);
    });

    it('alerts known resolved by other means are marked so by the closing move itself', async () => {
      const id = await openHeal();
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 10 });
      const [attached] = await h.store.healAlerts(id);
      const closed = await h.store.transition({
        id,
        owner: 'a',
        set: { stage: 'resolved' },
        audit: [],
        requireAlertsResolved: true,
        resolveAlerts: [{ fingerprint: attached!.fingerprint, startsAt: attached!.startsAt }],
      });
      expect(closed.state).toBe('resolved');
      expect((await h.store.healAlerts(id))[0]?.resolvedAt).toEqual(expect.any(String));
    });
  });
}
