import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { noopSpan, noopTracer } from '../../src/observability/tracing.js';
import { createCommittedAlerts } from '../../src/service/committed-alerts.js';
import { bodyDigest, createDeliveryMemo, type KnownDelivery } from '../../src/service/delivery-memo.js';
import { answerKnown, type IngestDeps } from '../../src/service/ingest-delivery.js';

const id = (n: number) => `${n.toString(16).padStart(16, '0')}/2026-01-01T00:00:00.000Z/firing`;
const delivery = (...n: number[]): KnownDelivery => ({
  ids: n.map(id),
  firing: n.length,
  resolved: 0,
  truncatedAlerts: 0,
});

describe('the deliveries remembered by their body’s digest', () => {
  it('names a body by the SHA-256 of its exact bytes', () => {
    const body = Buffer.from('{"alerts":[]}');
    expect(bodyDigest(body)).toBe(createHash('sha256').update(body).digest('base64'));
    expect(bodyDigest(Buffer.from('{"alerts":[] }'))).not.toBe(bodyDigest(body));
  });

  it('recalls what it was told, and nothing else', () => {
    const memo = createDeliveryMemo();
    const known = delivery(1, 2);
    memo.remember('a', known);
    expect(memo.recall('a')).toBe(known);
    expect(memo.recall('b')).toBeUndefined();
  });

  it('stays within its entries however many distinct bodies come, keeping those still re-sent', () => {
    const memo = createDeliveryMemo({ entries: 100 });
    memo.remember('re-sent', delivery(0));
    for (let i = 1; i <= 10_000; i++) {
      memo.remember(`body-${i}`, delivery(i));
      if (i % 25 === 0) expect(memo.recall('re-sent')).toBeDefined();
      expect(memo.size.entries).toBeLessThanOrEqual(100);
    }
    expect(memo.recall('body-10000')).toBeDefined();
    expect(memo.recall('body-1')).toBeUndefined();
  });

  it('stays within its bytes, and never keeps a delivery bigger than half of them', () => {
    const memo = createDeliveryMemo({ entries: 1_000_000, bytes: 64 * 1024 });
    for (let i = 0; i < 2_000; i++) {
      memo.remember(`body-${i}`, delivery(i * 10, i * 10 + 1, i * 10 + 2));
      expect(memo.size.bytes).toBeLessThanOrEqual(64 * 1024);
    }
    const huge = delivery(...Array.from({ length: 1_000 }, (_, i) => i));
    memo.remember('huge', huge);
    expect(memo.recall('huge')).toBeUndefined();
    expect(memo.size.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('two memos (two apps) share nothing', () => {
    const one = createDeliveryMemo();
    one.remember('a', delivery(1));
    expect(createDeliveryMemo().recall('a')).toBeUndefined();
  });
});

const alertCounters = async (d: IngestDeps) =>
  (await d.metrics.registry.metrics())
    .split('\n')
    .filter((line) => line.startsWith('salve_alerts_'))
    .join('\n');

describe('a remembered delivery is answered only while the committed set knows its alerts', () => {
  const deps = (committed: IngestDeps['committed']) =>
    ({ committed, metrics: createMetrics(), tracer: noopTracer }) as unknown as IngestDeps;

  it('an alert the set dropped (evicted): not answered, nothing counted', async () => {
    const state = { up: true, failures: 0 };
    const committed = createCommittedAlerts(
      { isUp: () => state.up, failuresSeen: () => state.failures },
      { capacity: 4 },
    );
    const d = deps(committed);
    const known = delivery(1, 2);
    committed.remember(known.ids, committed.trusted());
    expect(answerKnown(d, known, noopSpan)).toMatchObject({ alerts: { received: 2, deduplicated: 2 } });
    // Others push them out of the set's two generations.
    committed.remember([id(3), id(4)], committed.trusted());
    committed.remember([id(5), id(6)], committed.trusted());
    const before = await alertCounters(d);
    expect(before).toMatch(/salve_alerts_deduplicated_total 2$/m);
    expect(answerKnown(d, known, noopSpan)).toBeNull();
    expect(await alertCounters(d)).toBe(before);
  });

  it('the store down or a failure seen: not answered', () => {
    const state = { up: true, failures: 0 };
    const committed = createCommittedAlerts({ isUp: () => state.up, failuresSeen: () => state.failures });
    const d = deps(committed);
    const known = delivery(1);
    committed.remember(known.ids, committed.trusted());
    state.up = false;
    expect(answerKnown(d, known, noopSpan)).toBeNull();
    state.up = true;
    committed.remember(known.ids, committed.trusted());
    expect(answerKnown(d, known, noopSpan)).not.toBeNull();
    state.failures += 1;
    expect(answerKnown(d, known, noopSpan)).toBeNull();
  });
});
