/** Protocol-buffer wire format reading: just enough for the messages kubectl sends. */
export type WireField = { num: number; wireType: number; varint?: bigint; bytes?: Uint8Array };

export class WireError extends Error {}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length; i++) {
    const b = buf[i] ?? 0;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, i + 1];
    shift += 7n;
    if (shift > 70n) break;
  }
  throw new WireError('truncated varint');
}

export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, next] = readVarint(buf, pos);
    pos = next;
    const num = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      const [v, p] = readVarint(buf, pos);
      out.push({ num, wireType, varint: v });
      pos = p;
    } else if (wireType === 2) {
      const [len, p] = readVarint(buf, pos);
      const end = p + Number(len);
      if (end > buf.length) throw new WireError('truncated length-delimited field');
      out.push({ num, wireType, bytes: buf.subarray(p, end) });
      pos = end;
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      out.push({ num, wireType, bytes: buf.subarray(pos, pos + size) });
      pos += size;
    } else throw new WireError(`unsupported wire type ${wireType}`);
  }
  return out;
}

/** int32/int64 varints are two's complement over 64 bits. */
export function toInt(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

export function readPackedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [v, p] = readVarint(bytes, pos);
    out.push(toInt(v));
    pos = p;
  }
  return out;
}
