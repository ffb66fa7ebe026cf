import { describe, expect, it } from 'vitest';
import type { MatchOutcome } from '../../src/policy/types.js';
import { ingestForWriter, packIngest, unpackIngest } from '../../src/store/sqlite/ingest-wire.js';
import { isPlainData, sameAsPlain } from '../../src/store/sqlite/plain-data.js';
import type { IngestInput } from '../../src/store/types.js';
import { alertOf, delivery, matchFor } from '../support/store-contract.js';

type Match = Extract<MatchOutcome, { outcome: 'match' }>;

/** Every character of the first 256 code points, both line separators, a lone surrogate of each half, an emoji. */
const odd = `${Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')}\u2028\u2029\ud800\udfff\u{1F600}`;

/** Own properties named like the prototype's, as JSON.parse makes them (an object literal would set the prototype). */
const prototypeKeys = () =>
  JSON.parse(
    '{"__proto__":{"polluted":"yes"},"constructor":"c","prototype":"p","toString":"t","hasOwnProperty":"h"}',
  );

function packed(input: IngestInput): string {
  const wire = packIngest(input);
  if (wire === null) throw new Error('expected plain data');
  return wire;
}

/** What the writes read of a delivery: what crossed before by structured clone. */
const asWritesRead = (input: IngestInput) => ingestForWriter(input);

describe('the packed hand-over of a delivery to the SQLite writer thread', () => {
  it('gives the writer thread exactly what it read when deliveries were cloned', () => {
    const input: IngestInput = {
      ...delivery([
        {
          alert: alertOf({ alertname: 'A', pod: 'p-1' }, { annotations: { summary: 's' } }),
          outcomes: [matchFor('d1')],
        },
        {
          alert: alertOf(
            { pod: 'p-2' },
            { fingerprint: 'fp-2', status: 'resolved', endsAt: '2026-11-27T03:00:00.000Z' },
          ),
          outcomes: [{ outcome: 'refused', policy: 'p', reason: 'not_allowed', detail: 'namespace x' }],
        },
      ]),
      dryRun: true,
      traces: [
        { policy: 'scorer-error-rate', targetKey: 'Deployment/ml-prod/d1', traceContext: '00-ab-cd-01' },
      ],
    };
    expect(unpackIngest(packed(input))).toStrictEqual(asWritesRead(input));
    const untraced = delivery([{ alert: alertOf({ alertname: 'A' }), outcomes: [] }]);
    const back = unpackIngest(packed(untraced));
    expect(back).toStrictEqual(asWritesRead(untraced));
    expect('traces' in back).toBe(false);
    expect(unpackIngest(packed(delivery([])))).toStrictEqual(asWritesRead(delivery([])));
  });

  it('keeps labels and annotations with every odd character, unicode, huge values and prototype names exactly', () => {
    const labels = { alertname: odd, [odd]: odd, ...prototypeKeys(), huge: 'x'.repeat(1_000_000), '': '' };
    const annotations = { ...prototypeKeys(), summary: `${odd}\n${'ü'.repeat(100_000)}` };
    const input = delivery([
      { alert: alertOf(labels, { annotations, fingerprint: odd, generatorURL: odd }), outcomes: [] },
      { alert: alertOf({}, { fingerprint: '' }), outcomes: [] },
    ]);
    const back = unpackIngest(packed(input));
    expect(back).toStrictEqual(asWritesRead(input));
    const stored = back.alerts[0]!.stored!;
    expect(stored.labels).toBe(JSON.stringify(labels));
    expect(stored.annotations).toBe(JSON.stringify(annotations));
    const again = JSON.parse(stored.labels) as Record<string, unknown>;
    expect(Object.hasOwn(again, '__proto__')).toBe(true);
    expect(again).toStrictEqual(JSON.parse(JSON.stringify(labels)));
    expect(back.alerts[0]!.alert.labels).toStrictEqual({ alertname: odd });
    expect(back.alerts[1]!.alert.labels).toStrictEqual({});
  });

  it('carries prototype names in outcomes as plain data, never as prototypes', () => {
    const params = { ...prototypeKeys(), nested: [prototypeKeys(), odd, 0, -1.5, true, null] };
    const outcome: MatchOutcome = {
      ...(matchFor('d1') as Match),
      steps: [{ action: 'k8s.restart', params, verify: {} }],
    };
    // Two alerts with equal outcomes made apart: the second is compared, not trusted.
    const input = delivery([
      { alert: alertOf({ alertname: 'A' }, { fingerprint: 'a' }), outcomes: [outcome] },
      { alert: alertOf({ alertname: 'A' }, { fingerprint: 'b' }), outcomes: [structuredClone(outcome)] },
    ]);
    const back = unpackIngest(packed(input));
    expect(back).toStrictEqual(asWritesRead(input));
    const crossed = (back.alerts[0]!.outcomes[0] as { steps: Array<{ params: Record<string, unknown> }> })
      .steps[0]!.params;
    expect(Object.getPrototypeOf(crossed)).toBe(Object.prototype);
    expect(Object.hasOwn(crossed, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(crossed, '__proto__')?.value).toStrictEqual({ polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('sends each distinct list of outcomes once, and gives every alert its own', () => {
    const a = [matchFor('alpha-deployment')];
    const b = [
      matchFor('beta-deployment'),
      { outcome: 'refused', policy: 'q', reason: 'invalid_name', detail: '' },
    ];
    const lists = [a, a, structuredClone(a), b, structuredClone(b), a, [], []] as MatchOutcome[][];
    const input = delivery(
      lists.map((outcomes, i) => ({
        alert: alertOf({ alertname: 'A' }, { fingerprint: `fp-${i}` }),
        outcomes,
      })),
    );
    const wire = packed(input);
    // Consecutive equal lists share one copy: a, b, a, [] are sent.
    expect(wire.split('alpha-deployment').length - 1).toBe(2 * 2);
    expect(wire.split('beta-deployment').length - 1).toBe(2);
    const back = unpackIngest(wire);
    expect(back.alerts.map((x) => x.outcomes)).toStrictEqual(lists);
  });

  it('leaves to structured clone a delivery that is not plain data, and says so', () => {
    const withParams = (params: unknown): IngestInput =>
      delivery([
        {
          alert: alertOf({ alertname: 'A' }),
          outcomes: [{ ...(matchFor('d') as Match), steps: [{ action: 'a', params, verify: {} }] }],
        },
      ]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    const notPlain: unknown[] = [
      () => 1,
      Symbol('s'),
      10n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(0),
      new Map(),
      new Uint8Array(2),
      // biome-ignore lint/suspicious/noSparseArray: a hole is what this checks
      [1, , 3],
      [undefined],
      new (class Point {
        x = 1;
      })(),
      cyclic,
      deep,
      { toJSON: () => 'x' },
    ];
    for (const params of notPlain) expect(packIngest(withParams(params))).toBeNull();
    // A later alert's list compared with an earlier equal-looking one is checked all the same.
    const later = delivery([
      { alert: alertOf({ alertname: 'A' }, { fingerprint: 'a' }), outcomes: [matchFor('d')] },
      {
        alert: alertOf({ alertname: 'A' }, { fingerprint: 'b' }),
        outcomes: [{ ...matchFor('d'), f: () => 1 } as never],
      },
    ]);
    expect(packIngest(later)).toBeNull();
    const fields: Array<(input: IngestInput) => void> = [
      (i) => Object.assign(i.alerts[0]!.alert, { fingerprint: 7 }),
      (i) => Object.assign(i.alerts[0]!.alert, { endsAt: undefined }),
      (i) => Object.assign(i.alerts[0]!.alert.labels, { alertname: 1 }),
      (i) => Object.assign(i.alerts[0]!.alert, { labels: undefined }),
      (i) => Object.assign(i, { dryRun: 'no' }),
      (i) => Object.assign(i.delivery, { truncatedAlerts: Number.NaN }),
      (i) => Object.assign(i, { traces: [{ policy: 'p', targetKey: 'k', traceContext: new Date(0) }] }),
      (i) => Object.assign(i.alerts[0]!, { outcomes: { 0: matchFor('d') } }),
    ];
    for (const change of fields) {
      const input = delivery([{ alert: alertOf({ alertname: 'A' }), outcomes: [] }]);
      change(input);
      expect(packIngest(input)).toBeNull();
    }
    // An undefined property is one JSON leaves out, and every reader sees undefined all the same.
    expect(packIngest(withParams({ a: undefined, b: 1 }))).not.toBeNull();
  });

  it('refuses labels the store cannot keep as text', () => {
    const labels = { alertname: 'A', n: 1n } as unknown as Record<string, string>;
    expect(() => packIngest(delivery([{ alert: alertOf(labels), outcomes: [] }]))).toThrow(/BigInt/);
  });

  it('refuses a packed delivery cut short or padded', () => {
    const wire = packed(delivery([{ alert: alertOf({ alertname: 'A', pod: 'p' }), outcomes: [] }]));
    expect(() => unpackIngest(wire.slice(0, -1))).toThrow(/ends at/);
    expect(() => unpackIngest(`${wire}x`)).toThrow(/ends at/);
  });
});

describe('plain data', () => {
  it('compares as JSON would write it', () => {
    expect(sameAsPlain({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameAsPlain({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameAsPlain({ a: undefined }, { b: undefined })).toBe(true);
    expect(sameAsPlain({ a: 1 }, { b: 1 })).toBe(false);
    expect(sameAsPlain({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameAsPlain([1, 2], [1, 2, 3])).toBe(false);
    expect(sameAsPlain([1], { 0: 1 })).toBe(false);
    expect(sameAsPlain({ 0: 1 }, [1])).toBe(false);
    expect(sameAsPlain(Number.NaN, Number.NaN)).toBe(false);
    expect(sameAsPlain(new Date(0), new Date(0))).toBe(false);
    expect(sameAsPlain(prototypeKeys(), prototypeKeys())).toBe(true);
    expect(sameAsPlain(prototypeKeys(), { ...prototypeKeys(), constructor: 'other' })).toBe(false);
    expect(isPlainData(Object.create(null))).toBe(true);
    expect(isPlainData(prototypeKeys())).toBe(true);
  });
});
