import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionLimits, ActionRecordInput } from '../../src/domain/ledger.js';
import { openTestHeal, type StoreHarness, T } from './store-contract.js';

const recordFor = (healId: string, deployment: string, step = 0): ActionRecordInput => ({
  healId,
  policy: 'scorer-error-rate',
  targetKey: `Deployment/ml-prod/${deployment}`,
  action: 'k8s.restart',
  step,
  attempt: 0,
  dryRun: false,
});

/** The counted limits' slots: reserved atomically, kept, turned into the action, given back. */
export function runSlotStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract (action slots): ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    async function claimed(deployment: string): Promise<string> {
      const id = await openTestHeal(h, deployment);
      await h.store.claimDueHeals({ now: T(1), owner: 'a', leaseUntil: T(31), limit: 100 });
      return id;
    }
    const reserve = (id: string, deployment: string, limits: ActionLimits, step = 0) =>
      h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        reserveSlot: { action: recordFor(id, deployment, step), limits },
      });
    const ceiling = (max: number): ActionLimits => ({ global: { since: T(0), max } });

    it('reserved slots count like actions; the global ceiling refuses the slot past it with the counts', async () => {
      const ids = [];
      for (const d of ['a', 'b', 'c']) ids.push(await claimed(d));
      await reserve(ids[0]!, 'a', ceiling(2));
      await reserve(ids[1]!, 'b', ceiling(2));
      expect(await h.store.countActions({ since: T(0), excludeDryRun: true })).toBe(2);
      await expect(reserve(ids[2]!, 'c', ceiling(2))).rejects.toMatchObject({
        code: 'SALVE_LIMIT_REACHED',
        details: { hit: { limit: 'global', count: 2, max: 2 } },
      });
      // The refused move changed nothing: the heal is where it was, no slot was taken.
      expect((await h.store.getHeal(ids[2]!))?.state).toBe('pending');
      expect(await h.store.countActions({ since: T(0) })).toBe(2);
    });

    it('a slot the heal holds for its step is kept, whatever the limits say now', async () => {
      const id = await claimed('a');
      await reserve(id, 'a', ceiling(1));
      await reserve(id, 'a', ceiling(1));
      const started = await h.store.transition({
        id,
        owner: 'a',
        set: {},
        audit: [],
        reserveSlot: { action: recordFor(id, 'a'), limits: ceiling(1) },
        startAction: recordFor(id, 'a'),
      });
      expect(started.id).toBe(id);
      expect(await h.store.countActions({ since: T(0) })).toBe(1);
      // A later step is another action: it needs a slot of its own.
      await expect(reserve(id, 'a', ceiling(1), 1)).rejects.toMatchObject({ code: 'SALVE_LIMIT_REACHED' });
    });

    it('the per-target breaker counts every policy on the target; cooldown only other heals of the policy', async () => {
      const a = await claimed('x');
      await reserve(a, 'x', { ...ceiling(10), target: { since: T(0), max: 1 }, cooldownSince: T(0) });
      // The same heal's own slot does not put it in cooldown for its next step; the breaker still counts it.
      await expect(
        reserve(a, 'x', { ...ceiling(10), target: { since: T(0), max: 1 }, cooldownSince: T(0) }, 1),
      ).rejects.toMatchObject({ details: { hit: { limit: 'target', count: 1, max: 1 } } });
      await expect(reserve(a, 'x', { ...ceiling(10), cooldownSince: T(0) }, 1)).resolves.toMatchObject({
        id: a,
      });
    });

    it('cooldown refuses a slot while another heal of the policy acted on the target since', async () => {
      const first = await claimed('y');
      await reserve(first, 'y', ceiling(10));
      await h.store.transition({
        id: first,
        owner: 'a',
        set: { stage: 'cancelled', closedAt: T(2), nextRunAt: null },
        audit: [],
        startAction: recordFor(first, 'y'),
      });
      // Another heal of the same policy on the same target, opened by hand after the first closed.
      const { heal } = await h.store.openManualHeal({
        policy: 'scorer-error-rate',
        targetKey: 'Deployment/ml-prod/y',
        target: { kind: 'Deployment', namespace: 'ml-prod', name: 'y' },
        steps: [{ action: 'k8s.restart', params: {}, verify: {} }],
        dryRun: false,
        actor: 'token:ops',
        reason: 'by hand',
        force: false,
        idempotencyKey: null,
        requestDigest: null,
        at: T(3),
      });
      const second = heal.id;
      await h.store.claimDueHeals({ now: T(4), owner: 'a', leaseUntil: T(34), limit: 100 });
      await expect(reserve(second, 'y', { ...ceiling(10), cooldownSince: T(0) })).rejects.toMatchObject({
        details: { hit: { limit: 'cooldown' } },
      });
      await expect(reserve(second, 'y', { ...ceiling(10), cooldownSince: T(59) })).resolves.toMatchObject({
        id: second,
      });
    });

    it('closing a heal that never acted gives its slot back; a dry run takes none', async () => {
      const a = await claimed('a');
      const b = await claimed('b');
      await reserve(a, 'a', ceiling(1));
      await expect(reserve(b, 'b', ceiling(1))).rejects.toMatchObject({ code: 'SALVE_LIMIT_REACHED' });
      await h.store.transition({
        id: a,
        owner: 'a',
        set: {
          stage: 'cancelled',
          closedAt: T(5),
          nextRunAt: null,
          reason: 'alerts_resolved',
        },
        audit: [],
      });
      expect(await h.store.countActions({ since: T(0) })).toBe(0);
      await reserve(b, 'b', ceiling(1));
      // The reserved slot turns into a dry run: nothing counts any more.
      await h.store.transition({
        id: b,
        owner: 'a',
        set: {},
        audit: [],
        startAction: { ...recordFor(b, 'b'), dryRun: true },
        finishAction: { step: 0, status: 'dry_run', detail: 'would have restarted' },
      });
      expect(await h.store.countActions({ since: T(0), excludeDryRun: true })).toBe(0);
    });

    it('twenty reservations at once against a ceiling of five: exactly five slots', async () => {
      const ids: Array<[string, string]> = [];
      for (let i = 0; i < 20; i++) ids.push([await claimed(`t${i}`), `t${i}`]);
      const results = await Promise.allSettled(ids.map(([id, d]) => reserve(id, d, ceiling(5))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(await h.store.countActions({ since: T(0), excludeDryRun: true })).toBe(5);
    });
  });
}
