import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/domain/audit.js';
import { auditKeyFrom, GENESIS, keyedHash, sealProblem, sealRecords } from '../../src/store/audit-chain.js';

/*
 * A seal covers exactly the text stored, and every chain already written must verify: however the sealing is
 * written, the same records under the same key get the same hashes. These were sealed by the first keyed
 * version; a change in the bytes the HMAC covers fails here before it fails an operator's `salve audit verify`.
 */
const key = auditKeyFrom(Buffer.from('salve test audit key: thirty-two bytes!!'));
const inputs: AuditInput[] = [
  { type: 'audit.keyed', actor: 'salve', healId: null, policy: null, target: null, outcome: null, data: {} },
  {
    type: 'delivery.received',
    actor: 'alertmanager:am',
    healId: null,
    policy: null,
    target: null,
    outcome: null,
    data: {
      deliveryId: 7,
      alerts: ['f1/2026-11-30T00:00:00.000Z/firing'],
      note: 'quote " backslash \\ nul \u0000 lone \ud800 line\u2028',
    },
  },
  {
    type: 'heal.alerts_attached',
    actor: 'alertmanager:am',
    healId: 'heal_1',
    policy: 'p\u0000',
    target: 'Deployment/ns/x\udc00',
    outcome: 'attached',
    at: '2026-11-30T01:02:03.004Z',
    data: { deliveryId: 7, alerts: [{ fingerprint: 'f1', startsAt: 'x', alertname: 'A' }] },
  },
] as AuditInput[];

describe('the audit seal', () => {
  const sealed = sealRecords(inputs, '2026-11-30T00:00:00.000Z', GENESIS, key);

  it('gives the hashes the first keyed version gave, text as stored (NUL and lone surrogates replaced)', () => {
    expect(sealed.map((r) => r.hash)).toEqual([
      'be9f44247cedcfe1cd4784a7e511050213af2cc7490a69a75fc5345a9ce2ba28',
      'bb39458b3dc8deaa6662bb1bac76a481a9cb45f3eb6a74f5abf4c7654d6a33da',
      'a385384b63f451cd19a74e460f4896fe04cd5860d802f024d3f52c9bf8b1b547',
    ]);
    expect(sealed.map((r) => [r.seq, r.at, r.policy, r.target, r.prevHash.slice(0, 8)])).toEqual([
      [1, '2026-11-30T00:00:00.000Z', null, null, '00000000'],
      [2, '2026-11-30T00:00:00.000Z', null, null, 'be9f4424'],
      [3, '2026-11-30T01:02:03.004Z', 'p\uFFFD', 'Deployment/ns/x\uFFFD', 'bb39458b'],
    ]);
    expect(sealed[1]!.dataText).toBe(JSON.stringify(inputs[1]!.data));
  });

  it('is what verification recomputes from the stored columns', () => {
    for (const r of sealed) {
      const row = {
        seq: r.seq,
        at: r.at,
        type: r.type,
        actor: r.actor,
        heal_id: r.healId,
        policy: r.policy,
        target: r.target,
        outcome: r.outcome,
        data: r.dataText,
        prev_hash: r.prevHash,
        hash: r.hash,
        scheme: r.scheme,
      };
      expect(keyedHash(row, key)).toBe(r.hash);
      expect(sealProblem(row, key)).toBeNull();
    }
  });
});
