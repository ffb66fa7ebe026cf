import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReceivedAlert } from '../../src/alerts/schema.js';
import type { StoreHarness } from './store-contract.js';
import { alertOf, delivery, matchFor } from './store-contract.js';

const firing = (pod: string) => alertOf({ alertname: 'X', pod }, { fingerprint: `fp-${pod}` });
const plain = (alerts: ReceivedAlert[]) => alerts.map((alert) => ({ alert, outcomes: [] }));

/**
 * Which of a delivery's alerts are new decides everything else (a heal opened or joined, the audit records),
 * so it must be exact whatever mix a delivery brings: all new, all stored, some of each, one alert twice, and
 * deliveries longer than one statement's rows.
 */
export function runFreshAlertsContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}: the new alerts of a delivery`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    it('tells new from stored in a delivery of both, an alert twice counted once', async () => {
      await h.store.ingest(delivery(plain([firing('a'), firing('b')])));
      const mixed = await h.store.ingest(
        delivery(plain([firing('a'), firing('c'), firing('c'), firing('b'), firing('d')])),
      );
      expect(mixed).toMatchObject({ received: 5, new: 2, deduplicated: 3 });
      expect(await h.store.listAlerts({ limit: 10 })).toHaveLength(4);
    });

    it('attaches each new alert once and none already stored, past one statement of rows', async () => {
      const pods = Array.from({ length: 120 }, (_, i) => `p${i}`);
      const outcomes = [matchFor('scorer')];
      // Stored before: every third alert.
      await h.store.ingest(
        delivery(pods.filter((_, i) => i % 3 === 0).map((p) => ({ alert: firing(p), outcomes }))),
      );
      // Then all of them, p7 a second time at the end (another statement's rows than its first).
      const all = [...pods, 'p7'].map((p) => ({ alert: firing(p), outcomes }));
      const result = await h.store.ingest(delivery(all));
      expect(result).toMatchObject({ received: 121, new: 80, deduplicated: 41 });
      const [heal] = result.attached;
      expect(heal).toBeDefined();
      const records = await h.store.queryAudit({ type: 'heal.alerts_attached', limit: 10 });
      const attached = records.map((r) => (r.data.alerts as Array<{ fingerprint: string }>).length);
      // The first delivery opened the heal with p0 and attached 39 more; the second attached the 80 new.
      expect(attached.sort((a, b) => a - b)).toEqual([39, 80]);
      const again = await h.store.ingest(delivery(all));
      expect(again).toMatchObject({ new: 0, deduplicated: 121, attached: [] });
      const fresh = await h.store.ingest(delivery(plain([firing('q1'), firing('q2')])));
      expect(fresh).toMatchObject({ new: 2, deduplicated: 0 });
    });
  });
}
