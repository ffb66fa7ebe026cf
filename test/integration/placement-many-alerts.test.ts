import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, matchFor, T, testAuditKey } from '../support/store-contract.js';

/*
 * A delivery that attaches many alerts to a few heals (a storm on one Deployment): each heal is listed once
 * in the answer, in the order the delivery first reached it, with one heal.alerts_attached record each naming
 * every alert it attached, in delivery order; every alert attached.
 */
describe('placing a delivery of many alerts on a few heals', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('lists each heal once and audits one record per heal with every alert', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'salve-placement-'));
    store = openSqliteStore({ file: path.join(dir, 'salve.db'), clock: fakeClock(), auditKey: testAuditKey });
    await store.migrate();
    const pod = (p: string, deployment: string) => ({
      alert: alertOf({ alertname: 'X', deployment, pod: p }, { fingerprint: `fp-${deployment}-${p}` }),
      outcomes: [matchFor(deployment)],
    });
    const first = await store.ingest(delivery([pod('0', 'scorer'), pod('0', 'ranker')]));
    expect(first.opened.map((h) => h.target)).toEqual([
      'Deployment/ml-prod/scorer',
      'Deployment/ml-prod/ranker',
    ]);
    const [scorer, ranker] = first.opened;

    // 600 alerts: ranker's first, then the two interleaved, then a third Deployment's, opened here.
    const alerts = [
      pod('1', 'ranker'),
      ...Array.from({ length: 299 }, (_, i) => [pod(`s${i}`, 'scorer'), pod(`r${i}`, 'ranker')]).flat(),
      pod('1', 'feature'),
    ];
    const second = await store.ingest(delivery(alerts, T(30)));
    expect(second).toMatchObject({ received: 600, new: 600, deduplicated: 0 });
    expect(second.attached).toEqual([ranker, scorer]);
    expect(second.opened.map((h) => h.target)).toEqual(['Deployment/ml-prod/feature']);

    const records = (await store.queryAudit({ limit: 20 })).filter((r) => r.at === T(30));
    expect(records.map((r) => [r.type, r.healId])).toEqual([
      ['delivery.received', null],
      ['heal.alerts_attached', ranker!.id],
      ['heal.alerts_attached', scorer!.id],
      ['heal.opened', second.opened[0]!.id],
    ]);
    const named = (healId: string) =>
      (
        records.find((r) => r.type === 'heal.alerts_attached' && r.healId === healId)!.data.alerts as Array<{
          fingerprint: string;
        }>
      ).map((a) => a.fingerprint);
    expect(named(ranker!.id)).toEqual([
      'fp-ranker-1',
      ...Array.from({ length: 299 }, (_, i) => `fp-ranker-r${i}`),
    ]);
    expect(named(scorer!.id)).toEqual(Array.from({ length: 299 }, (_, i) => `fp-scorer-s${i}`));
    const heal = await store.getHeal(scorer!.id);
    expect(heal).not.toBeNull();
    expect((await store.verifyAudit()).ok).toBe(true);
  });
});
