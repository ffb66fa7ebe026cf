import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSalveError } from '../../src/errors.js';
import type { MatchOutcome } from '../../src/policy/types.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { IngestInput, Store } from '../../src/store/types.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, matchFor, testAuditKey } from '../support/store-contract.js';

type Match = Extract<MatchOutcome, { outcome: 'match' }>;

/** Every character of the first 256 code points, both line separators, lone surrogates, an emoji. */
const odd = `${Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')}\u2028\u2029\ud800\udfff\u{1F600}`;
/** Own properties named like the prototype's, as JSON.parse makes them. */
const prototypeKeys = () => JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":"c","prototype":"p"}');

/** A delivery of hostile text: labels, annotations and a match whose step parameters carry it. */
function hostileDelivery(): IngestInput {
  const params = { ...prototypeKeys(), text: odd, huge: 'ü'.repeat(200_000) };
  const match: MatchOutcome = {
    ...(matchFor(odd.slice(0, 40)) as Match),
    steps: [{ action: 'k8s.restart', params, verify: {} }],
  };
  const labels = { alertname: odd, ...prototypeKeys(), [odd]: odd, big: 'x'.repeat(500_000) };
  return delivery(
    Array.from({ length: 3 }, (_, i) => ({
      alert: alertOf(labels, {
        fingerprint: `fp-odd-${i}`,
        annotations: { ...prototypeKeys(), summary: odd },
      }),
      outcomes: [match, { outcome: 'refused', policy: odd, reason: 'not_allowed', detail: odd }],
    })),
  );
}

// What the writer thread adds to the store contract (run on both writers in store-sqlite.test.ts): the
// hand-over between the threads.
describe('SQLite writer thread', () => {
  const dirs: string[] = [];
  const open = (dir?: string, writer: 'worker' | 'event-loop' = 'worker'): { store: Store; dir: string } => {
    const at = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-writer-'));
    if (dir === undefined) dirs.push(at);
    const store = openSqliteStore({
      file: path.join(at, 'salve.db'),
      clock: fakeClock(),
      auditKey: testAuditKey,
      writer,
    });
    return { store, dir: at };
  };
  const one = (fingerprint: string) =>
    delivery([{ alert: alertOf({ alertname: 'X' }, { fingerprint }), outcomes: [] }]);

  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a write whose data cannot cross to the thread fails alone; the others of its turn commit', async () => {
    const { store } = open();
    try {
      const hostile = one('fp-hostile') as unknown as { alerts: Array<{ outcomes: unknown[] }> };
      // A function is no data: structured clone refuses it. (Labels and annotations cross as the JSON text the
      // store keeps, as on the event loop: a function among them is left out, not refused.)
      hostile.alerts[0]!.outcomes = [{ outcome: 'refused', toString: () => 'x' }];
      const [a, bad, b] = await Promise.allSettled([
        store.ingest(one('fp-a')),
        store.ingest(hostile as never),
        store.ingest(one('fp-b')),
      ]);
      expect(a).toMatchObject({ status: 'fulfilled', value: { new: 1 } });
      expect(b).toMatchObject({ status: 'fulfilled', value: { new: 1 } });
      expect(bad.status).toBe('rejected');
      const stored = await store.listAlerts({ limit: 10 });
      expect(stored.map((x) => x.fingerprint).sort()).toEqual(['fp-a', 'fp-b']);
    } finally {
      await store.close();
    }
  });

  it('keeps every label and annotation of an alert whose labels crossed to the thread as text', async () => {
    const { store } = open();
    try {
      const labels = { alertname: 'X', pod: 'p-1', ünïcode: '\u{1F600}', quote: '"\\' };
      const annotations = { summary: 'line\nbreak', empty: '' };
      const alert = alertOf(labels, { fingerprint: 'fp-text', annotations });
      const others = alertOf({ pod: 'no-name' }, { fingerprint: 'fp-noname' });
      const result = await store.ingest(
        delivery([
          { alert, outcomes: [] },
          { alert: others, outcomes: [] },
        ]),
      );
      expect(result).toMatchObject({ new: 2 });
      const stored = await store.listAlerts({ limit: 10 });
      expect(stored.find((a) => a.fingerprint === 'fp-text')).toMatchObject({ labels, annotations });
      expect(stored.find((a) => a.fingerprint === 'fp-noname')).toMatchObject({ labels: { pod: 'no-name' } });
    } finally {
      await store.close();
    }
  });

  it('keeps hostile text in labels, annotations and outcomes exactly as the writer on the event loop does', async () => {
    const written = async (writer: 'worker' | 'event-loop') => {
      const { store } = open(undefined, writer);
      try {
        const result = await store.ingest(hostileDelivery());
        const alerts = await store.listAlerts({ limit: 10 });
        const heals = await store.listHeals({ limit: 10 });
        const audit = await store.queryAudit({ limit: 100 });
        expect(await store.verifyAudit()).toMatchObject({ ok: true });
        // Ids and seals differ between two stores; everything else must not.
        return {
          result: { ...result, opened: result.opened.map(({ policy, target }) => ({ policy, target })) },
          alerts,
          heals: heals.map(({ id, openedAt, updatedAt, nextRunAt, ...rest }) => rest),
          audit: audit.map(({ type, policy, target, outcome, data }) => ({
            type,
            policy,
            target,
            outcome,
            data,
          })),
        };
      } finally {
        await store.close();
      }
    };
    const thread = await written('worker');
    expect(thread).toEqual(await written('event-loop'));
    expect(thread.result).toMatchObject({ new: 3, refused: 3, opened: [{ policy: 'scorer-error-rate' }] });
    const [first] = thread.alerts;
    expect(first!.labels).toEqual(hostileDelivery().alerts[0]!.alert.labels);
    expect(Object.hasOwn(first!.labels, '__proto__')).toBe(true);
    const params = thread.heals[0]!.steps[0]!.params as Record<string, unknown>;
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(params.text).toBe(JSON.parse(JSON.stringify(odd)));
  });

  it('a delivery that is not plain data crosses as it did, cloned, and commits', async () => {
    const { store } = open();
    try {
      const at = new Date('2026-11-27T03:00:00.000Z');
      const match: MatchOutcome = {
        ...(matchFor('dated') as Match),
        steps: [{ action: 'k8s.restart', params: { at }, verify: {} }],
      };
      const result = await store.ingest(
        delivery([{ alert: alertOf({ alertname: 'X' }), outcomes: [match] }]),
      );
      expect(result).toMatchObject({ new: 1, opened: [{ policy: 'scorer-error-rate' }] });
      const heal = await store.getHeal(result.opened[0]!.id);
      // As on the event loop: the heal keeps its steps as JSON.
      expect(heal?.steps[0]?.params).toEqual({ at: at.toISOString() });
    } finally {
      await store.close();
    }
  });

  it('labels the store cannot keep as text fail their own write alone', async () => {
    const { store } = open();
    try {
      const labels = { alertname: 'X', n: 1n } as unknown as Record<string, string>;
      const [a, bad, b] = await Promise.allSettled([
        store.ingest(one('fp-a')),
        store.ingest(delivery([{ alert: alertOf(labels, { fingerprint: 'fp-bad' }), outcomes: [] }])),
        store.ingest(one('fp-b')),
      ]);
      expect(a).toMatchObject({ status: 'fulfilled', value: { new: 1 } });
      expect(b).toMatchObject({ status: 'fulfilled', value: { new: 1 } });
      expect(bad).toMatchObject({ status: 'rejected', reason: { name: 'TypeError' } });
      expect((await store.listAlerts({ limit: 10 })).map((x) => x.fingerprint).sort()).toEqual([
        'fp-a',
        'fp-b',
      ]);
    } finally {
      await store.close();
    }
  });

  it('close lets the writes already queued commit; later writes are refused as the store being closed', async () => {
    const { store, dir } = open();
    const pending = [store.ingest(one('fp-1')), store.ingest(one('fp-2'))];
    await store.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(2);
    const refused = await store.ingest(one('fp-3')).catch((err: unknown) => err);
    expect(isSalveError(refused) && refused.code).toBe('SALVE_STORE_UNAVAILABLE');
    const again = open(dir).store;
    try {
      expect((await again.listAlerts({ limit: 10 })).map((x) => x.fingerprint).sort()).toEqual([
        'fp-1',
        'fp-2',
      ]);
      expect(await again.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await again.close();
    }
  });

  it('a conflict in the thread reaches the caller as the same coded SalveError', async () => {
    const { store } = open();
    try {
      const err = await store
        .transition({ id: 'no-such-heal', owner: 'me', set: {}, audit: [] })
        .catch((e: unknown) => e);
      expect(isSalveError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'SALVE_HEAL_CONFLICT', retryable: true });
    } finally {
      await store.close();
    }
  });
});
