import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSalveError } from '../../src/errors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { fakeClock } from '../support/fake-clock.js';
import { alertOf, delivery, testAuditKey } from '../support/store-contract.js';

// What the writer thread adds to the store contract (run on both writers in store-sqlite.test.ts): the
// hand-over between the threads.
describe('SQLite writer thread', () => {
  const dirs: string[] = [];
  const open = (dir?: string): { store: Store; dir: string } => {
    const at = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'salve-writer-'));
    if (dir === undefined) dirs.push(at);
    const store = openSqliteStore({
      file: path.join(at, 'salve.db'),
      clock: fakeClock(),
      auditKey: testAuditKey,
      writer: 'worker',
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
