import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertIdentity, type ReceivedAlert } from '../../src/alerts/schema.js';
import type { AuditInput } from '../../src/domain/audit.js';
import type { MatchOutcome } from '../../src/policy/types.js';
import { auditKeyFrom } from '../../src/store/audit-chain.js';
import type { IngestInput, Store } from '../../src/store/types.js';
import { testAuditKeySecret } from './build-test-app.js';
import { runDeferredStoreContract } from './store-contract-deferred.js';
import { runFreshAlertsContract } from './store-contract-fresh.js';

export type StoreHarness = {
  store: Store;
  /** Rewrites one audit record's data behind the store's back, as an attacker with database access would. */
  tamperAuditData(seq: number, data: Record<string, unknown>): Promise<void>;
  deleteAuditRecord(seq: number): Promise<void>;
  close(): Promise<void>;
};

const T0 = '2026-11-27T03:00:00.000Z';

/** One audit key for stores that share a database in a test, as replicas share one from a Secret. */
export const testAuditKey = auditKeyFrom(Buffer.from(testAuditKeySecret));

/** 03:00:SS on the test day. */
export const T = (s: number) => new Date(Date.UTC(2026, 10, 27, 3, 0, s)).toISOString();

export function alertOf(
  labels: Record<string, string>,
  overrides: Partial<ReceivedAlert> = {},
): ReceivedAlert {
  return {
    fingerprint: overrides.fingerprint ?? `fp-${labels.pod ?? labels.deployment ?? 'x'}`,
    status: 'firing',
    startsAt: '2026-11-27T02:50:00.000Z',
    endsAt: null,
    labels,
    annotations: {},
    generatorURL: '',
    ...overrides,
  };
}

/** A record of no kind salve writes, for tests of the audit log itself: `data` and any field given, the rest null. */
export function auditNote(data: Record<string, unknown>, fields: Partial<AuditInput> = {}): AuditInput {
  return {
    type: 'test.note',
    actor: 'salve',
    healId: null,
    policy: null,
    target: null,
    outcome: null,
    data,
    ...fields,
  };
}

export function matchFor(deployment: string, policy = 'scorer-error-rate'): MatchOutcome {
  return {
    outcome: 'match',
    policy,
    target: { kind: 'Deployment', namespace: 'ml-prod', name: deployment },
    targetKey: `Deployment/ml-prod/${deployment}`,
    steps: [{ action: 'k8s.restart', params: {}, verify: {} }],
  };
}

export function delivery(alerts: IngestInput['alerts'], at = T0): IngestInput {
  return {
    receivedAt: at,
    actor: 'alertmanager:salve',
    delivery: {
      receiver: 'salve',
      groupKey: '{}:{alertname="X"}',
      externalURL: 'http://am',
      status: 'firing',
      truncatedAlerts: 0,
    },
    alerts,
    dryRun: false,
  };
}

/** Every Store implementation passes this suite. */
export function runStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  runDeferredStoreContract(name, open);
  runFreshAlertsContract(name, open);
  describe(`Store contract: ${name}`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    it('commits new alerts and counts a re-delivery of the same alerts as deduplicated', async () => {
      const alerts = [
        { alert: alertOf({ alertname: 'X', pod: 'a' }), outcomes: [] },
        { alert: alertOf({ alertname: 'X', pod: 'b' }), outcomes: [] },
      ];
      const first = await h.store.ingest(delivery(alerts));
      expect(first).toMatchObject({ received: 2, new: 2, deduplicated: 0 });
      const again = await h.store.ingest(delivery(alerts));
      expect(again).toMatchObject({ received: 2, new: 0, deduplicated: 2, opened: [], attached: [] });
      expect(await h.store.listAlerts({ limit: 10 })).toHaveLength(2);
    });

    it('tells which alert identities are already committed', async () => {
      const a = alertOf({ alertname: 'X', pod: 'a' });
      const b = alertOf({ alertname: 'X', pod: 'b' });
      await h.store.ingest(delivery([{ alert: a, outcomes: [] }]));
      const known = await h.store.knownAlerts([a, b, { ...a, status: 'resolved' }]);
      expect([...known]).toEqual([alertIdentity(a)]);
      expect(await h.store.knownAlerts([])).toEqual(new Set());
    });

    it('reads alerts by their start: every status of each exact (fingerprint, startsAt), by id', async () => {
      const a = alertOf({ alertname: 'X', pod: 'a' });
      const later = { ...a, startsAt: '2026-11-27T02:55:00.000Z', annotations: { summary: 'again' } };
      const b = alertOf({ alertname: 'X', pod: 'b' });
      await h.store.ingest(
        delivery([
          { alert: a, outcomes: [] },
          { alert: b, outcomes: [] },
        ]),
      );
      await h.store.ingest(delivery([{ alert: later, outcomes: [] }]));
      const resolved = { ...a, status: 'resolved' as const, endsAt: T(5) };
      await h.store.ingest(delivery([{ alert: resolved, outcomes: [] }]));
      const read = await h.store.alertsByStart([
        { fingerprint: a.fingerprint, startsAt: a.startsAt },
        { fingerprint: a.fingerprint, startsAt: a.startsAt },
        { fingerprint: 'fp-none', startsAt: a.startsAt },
        { fingerprint: a.fingerprint, startsAt: '2026-11-27T02:51:00.000Z' },
      ]);
      // Asked twice, read once; neither the other start of the same fingerprint nor b, which started alike.
      expect(read.map((r) => [r.fingerprint, r.startsAt, r.status, r.endsAt])).toEqual([
        [a.fingerprint, a.startsAt, 'firing', null],
        [a.fingerprint, a.startsAt, 'resolved', T(5)],
      ]);
      expect(read[0]).toMatchObject({ labels: a.labels, annotations: {}, id: expect.any(Number) });
      expect(read[0]!.id).toBeLessThan(read[1]!.id);
      expect(
        (await h.store.alertsByStart([{ fingerprint: later.fingerprint, startsAt: later.startsAt }])).map(
          (r) => r.annotations,
        ),
      ).toEqual([{ summary: 'again' }]);
      expect(await h.store.alertsByStart([])).toEqual([]);
    });

    it('lists alerts of one start, or of a window of starts, with or without a fingerprint', async () => {
      const a = alertOf({ alertname: 'X', pod: 'a' });
      const b = alertOf({ alertname: 'X', pod: 'b' });
      const later = { ...a, startsAt: '2026-11-27T02:55:00.000Z' };
      await h.store.ingest(
        delivery([
          { alert: a, outcomes: [] },
          { alert: b, outcomes: [] },
        ]),
      );
      await h.store.ingest(delivery([{ alert: later, outcomes: [] }]));
      await h.store.ingest(
        delivery([{ alert: { ...later, status: 'resolved', endsAt: T(9) }, outcomes: [] }]),
      );
      const list = async (q: Omit<Parameters<Store['listAlerts']>[0], 'limit'>) =>
        (await h.store.listAlerts({ limit: 10, ...q })).map(
          (r) => `${r.fingerprint} ${r.startsAt} ${r.status}`,
        );
      expect(await list({ startsAt: a.startsAt })).toEqual([
        `${a.fingerprint} ${a.startsAt} firing`,
        `${b.fingerprint} ${b.startsAt} firing`,
      ]);
      expect(await list({ fingerprint: a.fingerprint, startsAt: a.startsAt })).toEqual([
        `${a.fingerprint} ${a.startsAt} firing`,
      ]);
      const window = { startedSince: '2026-11-27T02:50:00.000Z', startedUntil: '2026-11-27T02:56:00.000Z' };
      expect(await list({ fingerprint: a.fingerprint, ...window })).toEqual([
        `${a.fingerprint} ${a.startsAt} firing`,
        `${a.fingerprint} ${later.startsAt} firing`,
        `${a.fingerprint} ${later.startsAt} resolved`,
      ]);
      // The window's end is exclusive, its start inclusive.
      expect(
        await list({ fingerprint: a.fingerprint, status: 'firing', ...window, startedUntil: later.startsAt }),
      ).toEqual([`${a.fingerprint} ${a.startsAt} firing`]);
      expect(
        await list({ fingerprint: a.fingerprint, startedSince: '2026-11-27T02:50:00.001Z' }),
      ).toHaveLength(2);
    });

    it('treats the resolved notification of an alert as a new event, and its repeat as a duplicate', async () => {
      const firing = alertOf({ alertname: 'X', deployment: 'scorer' });
      await h.store.ingest(delivery([{ alert: firing, outcomes: [matchFor('scorer')] }]));
      const resolved = { ...firing, status: 'resolved' as const, endsAt: '2026-11-27T03:05:00.000Z' };
      const r1 = await h.store.ingest(delivery([{ alert: resolved, outcomes: [] }]));
      expect(r1).toMatchObject({ new: 1, resolved: 1 });
      const r2 = await h.store.ingest(delivery([{ alert: resolved, outcomes: [] }]));
      expect(r2).toMatchObject({ new: 0, deduplicated: 1, resolved: 0 });
    });

    it('opens one heal per (policy, target) and attaches further alerts for that target to it', async () => {
      const pods = ['a', 'b', 'c', 'd', 'e'].map((pod) => ({
        alert: alertOf({ alertname: 'X', deployment: 'scorer', pod }, { fingerprint: `fp-${pod}` }),
        outcomes: [matchFor('scorer')],
      }));
      const result = await h.store.ingest(delivery(pods));
      expect(result.opened).toHaveLength(1);
      const healId = result.opened[0]!.id;
      const heal = await h.store.getHeal(healId);
      expect(heal).toMatchObject({
        state: 'pending',
        policy: 'scorer-error-rate',
        targetKey: 'Deployment/ml-prod/scorer',
        // Its step marks count from 1 (heals from before that keep the index: migration 9).
        markBase: 1,
      });
      expect(heal?.trigger).toMatchObject({ kind: 'alert', fingerprint: 'fp-a' });
      expect(await h.store.healAlerts(healId)).toHaveLength(5);
      const later = await h.store.ingest(
        delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: 'scorer', pod: 'f' }, { fingerprint: 'fp-f' }),
            outcomes: [matchFor('scorer')],
          },
        ]),
      );
      expect(later.opened).toEqual([]);
      expect(later.attached.map((a) => a.id)).toEqual([healId]);
      expect(await h.store.countOpenHeals()).toEqual({
        pending: 1,
        awaiting_approval: 0,
        running: 0,
        verifying: 0,
      });
    });

    it('keeps the trace context each heal a delivery opens starts with; an attached alert changes none', async () => {
      const tp = (n: string) => `00-${n.repeat(32)}-${'b'.repeat(16)}-01`;
      const result = await h.store.ingest({
        ...delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-1' }),
            outcomes: [matchFor('scorer')],
          },
          {
            alert: alertOf({ alertname: 'X', deployment: 'other' }, { fingerprint: 'fp-2' }),
            outcomes: [matchFor('other')],
          },
          {
            alert: alertOf({ alertname: 'X', deployment: 'plain' }, { fingerprint: 'fp-3' }),
            outcomes: [matchFor('plain')],
          },
        ]),
        traces: [
          { policy: 'scorer-error-rate', targetKey: 'Deployment/ml-prod/scorer', traceContext: tp('1') },
          { policy: 'scorer-error-rate', targetKey: 'Deployment/ml-prod/other', traceContext: tp('2') },
          { policy: 'scorer-error-rate', targetKey: 'Deployment/ml-prod/unmatched', traceContext: tp('3') },
        ],
      });
      const byTarget = new Map(result.opened.map((o) => [o.target, o.id]));
      expect((await h.store.getHeal(byTarget.get('Deployment/ml-prod/scorer')!))?.traceContext).toBe(tp('1'));
      expect((await h.store.getHeal(byTarget.get('Deployment/ml-prod/other')!))?.traceContext).toBe(tp('2'));
      // Untraced: no context, not another heal's.
      expect((await h.store.getHeal(byTarget.get('Deployment/ml-prod/plain')!))?.traceContext).toBeNull();
      const later = await h.store.ingest({
        ...delivery([
          {
            alert: alertOf({ alertname: 'X', deployment: 'scorer' }, { fingerprint: 'fp-4' }),
            outcomes: [matchFor('scorer')],
          },
        ]),
        traces: [
          { policy: 'scorer-error-rate', targetKey: 'Deployment/ml-prod/scorer', traceContext: tp('4') },
        ],
      });
      expect(later.attached).toHaveLength(1);
      expect((await h.store.getHeal(later.attached[0]!.id))?.traceContext).toBe(tp('1'));
      const listed = await h.store.listHeals({ limit: 10 });
      expect(listed.map((x) => x.traceContext).sort()).toEqual([null, tp('1'), tp('2')].sort());
    });

    it('audits the alerts a delivery attaches to a heal in one record per (delivery, heal), every alert named', async () => {
      const pod = (p: string, deployment = 'scorer') => ({
        alert: alertOf({ alertname: 'X', deployment, pod: p }, { fingerprint: `fp-${p}` }),
        outcomes: [matchFor(deployment)],
      });
      const first = await h.store.ingest(delivery([pod('a'), pod('b'), pod('z', 'ranker'), pod('c')]));
      const scorer = first.opened.find((o) => o.target.endsWith('/scorer'))!;
      const ranker = first.opened.find((o) => o.target.endsWith('/ranker'))!;
      const second = await h.store.ingest(delivery([pod('d'), pod('e')], T(30)));
      const records = await h.store.queryAudit({ limit: 20 });
      expect(records.map((r) => [r.type, r.healId])).toEqual([
        ['delivery.received', null],
        ['heal.opened', scorer.id],
        ['heal.alerts_attached', scorer.id],
        ['heal.opened', ranker.id],
        ['delivery.received', null],
        ['heal.alerts_attached', scorer.id],
      ]);
      const ref = (p: string) => ({ fingerprint: `fp-${p}`, startsAt: alertOf({}).startsAt, alertname: 'X' });
      const attached = records.filter((r) => r.type === 'heal.alerts_attached');
      expect(attached[0]).toMatchObject({
        at: T0,
        actor: 'alertmanager:salve',
        policy: 'scorer-error-rate',
        target: 'Deployment/ml-prod/scorer',
        outcome: 'attached',
        data: { deliveryId: first.deliveryId, alerts: [ref('b'), ref('c')] },
      });
      expect(attached[1]).toMatchObject({
        at: T(30),
        data: { deliveryId: second.deliveryId, alerts: [ref('d'), ref('e')] },
      });
      expect(records[1]!.data.trigger).toEqual(ref('a'));
      expect((await h.store.verifyAudit()).ok).toBe(true);
    });

    it('keeps a cluster-scoped target (a Node) without a namespace: its key, its heal, its records', async () => {
      const node: MatchOutcome = {
        outcome: 'match',
        policy: 'node-not-ready',
        target: { kind: 'Node', name: 'worker-2' },
        targetKey: 'Node/worker-2',
        steps: [{ action: 'k8s.cordon', params: {}, verify: {} }],
      };
      const alerts = ['a', 'b'].map((x) => ({
        alert: alertOf({ alertname: 'NodeNotReady', node: 'worker-2', x }, { fingerprint: `fp-node-${x}` }),
        outcomes: [node],
      }));
      const result = await h.store.ingest(delivery(alerts));
      expect(result.opened).toHaveLength(1);
      const heal = await h.store.getHeal(result.opened[0]!.id);
      expect(heal).toMatchObject({ targetKey: 'Node/worker-2', target: { kind: 'Node', name: 'worker-2' } });
      expect(heal?.target).not.toHaveProperty('namespace');
      expect(await h.store.listHeals({ target: 'Node/worker-2', limit: 10 })).toHaveLength(1);
      const records = await h.store.queryAudit({ limit: 20 });
      expect(records.filter((r) => r.target !== null).map((r) => r.target)).toEqual(
        Array(records.filter((r) => r.target !== null).length).fill('Node/worker-2'),
      );
      expect(JSON.stringify(records)).not.toMatch(/undefined|Node\/\//);
    });

    it('concurrent deliveries for one target open exactly one heal', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h.store.ingest(
            delivery([
              {
                alert: alertOf(
                  { alertname: 'X', deployment: 'scorer', pod: `p${i}` },
                  { fingerprint: `fp-${i}` },
                ),
                outcomes: [matchFor('scorer')],
              },
            ]),
          ),
        ),
      );
      expect(results.flatMap((r) => r.opened)).toHaveLength(1);
      expect(await h.store.listHeals({ limit: 100 })).toHaveLength(1);
    });

    it('records a refusal as an audit record, not a heal', async () => {
      const refused: MatchOutcome = {
        outcome: 'refused',
        policy: 'scorer-error-rate',
        reason: 'not_allowed',
        detail: 'namespace kube-system is outside allow',
      };
      const r = await h.store.ingest(delivery([{ alert: alertOf({ alertname: 'X' }), outcomes: [refused] }]));
      expect(r).toMatchObject({ refused: 1, opened: [] });
      const records = await h.store.queryAudit({ type: 'policy.refused', limit: 10 });
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ policy: 'scorer-error-rate', outcome: 'not_allowed' });
    });

    it('filters heals by state, policy and target, newest first with a cursor', async () => {
      // Heal ids sort by opening time (to the millisecond).
      for (const [i, d] of ['a', 'b', 'c'].entries()) {
        await h.store.ingest(
          delivery(
            [
              {
                alert: alertOf({ alertname: 'X', deployment: d }, { fingerprint: `fp-${d}` }),
                outcomes: [matchFor(d)],
              },
            ],
            `2026-11-27T03:00:0${i}.000Z`,
          ),
        );
      }
      const page1 = await h.store.listHeals({ limit: 2 });
      expect(page1.map((x) => x.target.name)).toEqual(['c', 'b']);
      const page2 = await h.store.listHeals({ limit: 2, beforeId: page1[1]!.id });
      expect(page2.map((x) => x.target.name)).toEqual(['a']);
      expect(await h.store.listHeals({ target: 'Deployment/ml-prod/b', limit: 10 })).toHaveLength(1);
      expect(await h.store.listHeals({ state: 'resolved', limit: 10 })).toHaveLength(0);
      expect(await h.store.listHeals({ policy: 'other', limit: 10 })).toHaveLength(0);
    });

    it('keeps the audit log as one verifiable hash chain, queryable by filters and cursor', async () => {
      await h.store.ingest(
        delivery([
          { alert: alertOf({ alertname: 'X', deployment: 'scorer' }), outcomes: [matchFor('scorer')] },
        ]),
      );
      await h.store.appendAudit([auditNote({ n: 1 }, { policy: 'p', outcome: 'ok' })]);
      const all = await h.store.queryAudit({ limit: 100 });
      expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
      for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);
      expect(await h.store.verifyAudit()).toMatchObject({ ok: true, records: all.length });
      const page = await h.store.queryAudit({ afterSeq: 1, limit: 1 });
      expect(page.map((r) => r.seq)).toEqual([2]);
      const newest = await h.store.queryAudit({ newestFirst: true, limit: 2 });
      expect(newest.map((r) => r.seq)).toEqual([all.length, all.length - 1]);
      const older = await h.store.queryAudit({ newestFirst: true, beforeSeq: all.length - 1, limit: 100 });
      expect(older.map((r) => r.seq)).toEqual(
        all
          .slice(0, -2)
          .map((r) => r.seq)
          .reverse(),
      );
      expect(await h.store.queryAudit({ policy: 'p', limit: 10 })).toHaveLength(1);
      expect(await h.store.queryAudit({ since: '2099-01-01T00:00:00.000Z', limit: 10 })).toHaveLength(0);
    });

    it('verify names the first record whose content was changed', async () => {
      await h.store.appendAudit([1, 2, 3].map((n) => auditNote({ n })));
      await h.tamperAuditData(2, { n: 99 });
      expect(await h.store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2 });
    });

    it('verify notices a deleted record', async () => {
      await h.store.appendAudit([1, 2, 3].map((n) => auditNote({ n })));
      await h.deleteAuditRecord(2);
      expect(await h.store.verifyAudit()).toMatchObject({
        ok: false,
        brokenAt: 2,
        problems: [{ seq: 2, reason: 'record #2 is missing' }],
      });
    });

    it('stores and clears settings', async () => {
      expect(await h.store.getSetting('paused')).toBeNull();
      await h.store.setSetting('paused', '{"by":"op"}');
      expect(await h.store.getSetting('paused')).toBe('{"by":"op"}');
      await h.store.setSetting('paused', null);
      expect(await h.store.getSetting('paused')).toBeNull();
    });
  });
}

/** Opens a heal the way a matching alert does; returns its id. */
export async function openTestHeal(h: StoreHarness, deployment = 'scorer', at = T(0)): Promise<string> {
  const alert = alertOf({ alertname: 'X', deployment }, { fingerprint: `fp-${deployment}` });
  const r = await h.store.ingest(delivery([{ alert, outcomes: [matchFor(deployment)] }], at));
  return r.opened[0]!.id;
}
