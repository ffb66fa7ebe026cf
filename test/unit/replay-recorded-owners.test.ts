import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/domain/audit.js';
import type { ChainSubject } from '../../src/kube/owner-chain.js';
import { recordedOwners } from '../../src/service/replay/recorded-owners.js';
import type { AuditQuery } from '../../src/store/types.js';

const chain = (rs: string, deployment: string) => [
  { kind: 'Pod', name: 'web-1', uid: 'u1' },
  { kind: 'ReplicaSet', name: rs },
  { kind: 'Deployment', name: deployment },
];
const subject: ChainSubject = { kind: 'Pod', namespace: 'shop', name: 'web-1' };

let seq = 0;
const record = (type: string, at: string, data: Record<string, unknown>): AuditRecord => ({
  seq: ++seq,
  at,
  type,
  actor: 'alertmanager:salve',
  healId: 'heal_1',
  policy: 'p',
  target: 'Deployment/shop/web',
  outcome: null,
  data,
  prevHash: '',
  hash: '',
  scheme: 2,
});

/** The store's audit query as the backtest uses it: by type, since, after a sequence number, a page at a time. */
function storeOf(records: AuditRecord[]) {
  const queries: AuditQuery[] = [];
  return {
    queries,
    queryAudit: async (q: AuditQuery) => {
      queries.push(q);
      return records
        .filter((r) => r.type === q.type && r.at >= (q.since ?? '') && r.seq > (q.afterSeq ?? 0))
        .slice(0, q.limit);
    },
  };
}

describe('owner chains recorded for a backtest', () => {
  it('reads the heal.opened, heal.alerts_attached and older heal.alert_attached records, and resolves as of a time', async () => {
    const store = storeOf([
      record('heal.opened', '2026-11-27T03:00:00.000Z', {
        resolution: { subject, chain: chain('web-aaa', 'web') },
      }),
      record('heal.alerts_attached', '2026-11-27T04:00:00.000Z', {
        deliveryId: 7,
        alerts: [
          { fingerprint: 'f', resolution: { subject, chain: chain('web-bbb', 'web-next') } },
          { fingerprint: 'g' },
          {
            fingerprint: 'h',
            resolution: {
              subject: { kind: 'Pod', namespace: 'shop', name: 'web-2' },
              chain: chain('x', 'y'),
            },
          },
        ],
      }),
      record('heal.alert_attached', '2026-11-27T05:00:00.000Z', {
        resolution: { subject: { kind: 'Pod', namespace: 'shop', name: 'web-3' }, chain: chain('z', 'old') },
      }),
      record('policy.refused', '2026-11-27T05:00:00.000Z', {
        resolution: { subject, chain: chain('no', 'no') },
      }),
    ]);
    const owners = await recordedOwners(store, '2026-11-26T00:00:00.000Z');
    expect(owners.size).toBe(3);
    expect(store.queries.map((q) => q.type)).toEqual([
      'heal.opened',
      'heal.alerts_attached',
      'heal.alert_attached',
    ]);
    const top = (at: string, s = subject) => {
      const walk = owners.resolverAt(at)(s);
      return walk.status === 'resolved' ? walk.chain.at(-1)!.name : walk.status;
    };
    // The chain recorded last at or before the time; before any, the first recorded after it.
    expect(top('2026-11-27T02:00:00.000Z')).toBe('web');
    expect(top('2026-11-27T03:30:00.000Z')).toBe('web');
    expect(top('2026-11-27T04:00:00.000Z')).toBe('web-next');
    expect(top('2026-11-27T03:00:00.000Z', { kind: 'Pod', namespace: 'shop', name: 'web-3' })).toBe('old');
    // Another namespace is another object.
    const other = owners.resolverAt('2026-11-27T04:00:00.000Z')({
      kind: 'Pod',
      namespace: 'pay',
      name: 'web-1',
    });
    expect(other).toMatchObject({ status: 'unavailable', missing: { kind: 'Pod', name: 'web-1' } });
    expect(other.status === 'unavailable' && other.detail).toBe(
      'no owner chain of Pod pay/web-1 was recorded, and a backtest reads no cluster',
    );
  });

  it('ignores records whose data is not a chain, whatever wrote them', async () => {
    const bad = [
      { resolution: 'Deployment/x' },
      { resolution: { subject, chain: [] } },
      { resolution: { subject: { ...subject, kind: 'Secret' }, chain: chain('a', 'b') } },
      { resolution: { subject: { ...subject, name: 3 }, chain: chain('a', 'b') } },
      { resolution: { subject, chain: [{ kind: 'Pod' }] } },
      { resolution: { subject, chain: [null] } },
      { resolution: null },
    ];
    const store = storeOf([
      ...bad.map((data) => record('heal.opened', '2026-11-27T03:00:00.000Z', data)),
      record('heal.alerts_attached', '2026-11-27T03:00:00.000Z', { alerts: 'all of them' }),
      record('heal.alerts_attached', '2026-11-27T03:00:00.000Z', { alerts: [null, 4, { resolution: {} }] }),
    ]);
    const owners = await recordedOwners(store, '2026-11-26T00:00:00.000Z');
    expect(owners.size).toBe(0);
    expect(owners.resolverAt('2026-11-27T03:00:00.000Z')(subject).status).toBe('unavailable');
  });

  it('pages through a long history', async () => {
    const many = Array.from({ length: 12_001 }, (_, i) =>
      record('heal.opened', '2026-11-27T03:00:00.000Z', {
        resolution: { subject: { ...subject, name: `web-${i}` }, chain: chain('rs', `d${i}`) },
      }),
    );
    const store = storeOf(many);
    const owners = await recordedOwners(store, '2026-11-26T00:00:00.000Z');
    expect(owners.size).toBe(12_001);
    expect(store.queries.filter((q) => q.type === 'heal.opened').map((q) => q.afterSeq)).toEqual([
      0,
      many[4999]!.seq,
      many[9999]!.seq,
    ]);
  });
});
