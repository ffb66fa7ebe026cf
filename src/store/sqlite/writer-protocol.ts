import type { WireError } from '../../errors.js';
import type { WriteOp } from './write-ops.js';

/** What the writer thread starts from. The audit key's secret crosses as bytes. */
export type WriterData = { file: string; auditSecret: Uint8Array; auditKeyId: string };

/** A write, its arguments cloned; a delivery of plain data packed into one string instead (ingest-wire.ts). */
export type WriteCall =
  | { id: number; op: WriteOp; args: unknown[] }
  | { id: number; op: 'ingest'; packed: string };
export type WriteAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

/** To the writer: the writes of one turn of the event loop, or the end. */
export type ToWriter = { type: 'calls'; calls: WriteCall[] } | { type: 'close' };
/** From the writer: the answers of the writes it committed (or refused) together, or that it closed. */
export type FromWriter = { type: 'answers'; answers: WriteAnswer[] } | { type: 'closed' };
