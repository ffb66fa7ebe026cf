import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTraceparent, parseTraceparent, traceLink } from '../../src/observability/tracing.js';

const trace = '0af7651916cd43dd8448eb211c80319c';
const span = 'b7ad6b7169203331';

describe('parseTraceparent', () => {
  it('reads a W3C version-00 traceparent', () => {
    expect(parseTraceparent(`00-${trace}-${span}-01`)).toEqual({
      traceId: trace,
      spanId: span,
      sampled: true,
    });
    expect(parseTraceparent(`00-${trace}-${span}-00`)).toMatchObject({ sampled: false });
    // Other flag bits (W3C level 2's random-trace-id) leave `sampled` to bit 0.
    expect(parseTraceparent(`00-${trace}-${span}-03`)).toMatchObject({ sampled: true });
  });

  it('refuses anything not exactly that: it is never trusted in part', () => {
    const bad = [
      `00-${trace.toUpperCase()}-${span}-01`,
      `00-${'0'.repeat(32)}-${span}-01`,
      `00-${trace}-${'0'.repeat(16)}-01`,
      `ff-${trace}-${span}-01`,
      `01-${trace}-${span}-01-extra`,
      `00-${trace}-${span}-01 `,
      ` 00-${trace}-${span}-01`,
      `00-${trace}-${span}-1`,
      `00-${trace.slice(1)}-${span}0-01`,
      `00_${trace}_${span}_01`,
      `00-${trace}-${span}-01\n`,
      `00-${trace}-${span}-0g`,
      '',
      null,
      undefined,
    ];
    for (const value of bad) expect(parseTraceparent(value), String(value)).toBeNull();
  });

  it('round-trips what it reads', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    fc.assert(
      fc.property(hex(32), hex(16), fc.boolean(), (traceId, spanId, sampled) => {
        fc.pre(!/^0+$/.test(traceId) && !/^0+$/.test(spanId));
        const p = { traceId, spanId, sampled };
        expect(parseTraceparent(formatTraceparent(p))).toEqual(p);
      }),
    );
  });
});

describe('traceLink', () => {
  const template = 'https://tempo.example/trace/{traceId}?orgId=1&again={traceId}';

  it('puts the trace id wherever the template says', () => {
    expect(traceLink(template, trace)).toBe(`https://tempo.example/trace/${trace}?orgId=1&again=${trace}`);
  });

  it('makes no link without a template, without a trace, or from anything but 32 hex digits', () => {
    expect(traceLink(null, trace)).toBeNull();
    expect(traceLink(template, null)).toBeNull();
    for (const hostile of [
      '../../admin',
      'javascript:alert(1)',
      `${trace}"><script>`,
      `${trace}&x=1`,
      trace.toUpperCase(),
      '{traceId}',
    ]) {
      expect(traceLink(template, hostile), hostile).toBeNull();
    }
  });
});
