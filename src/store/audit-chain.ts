import { createHash, createHmac } from 'node:crypto';
import { type AuditInput, type AuditRecord, auditTypes } from '../domain/audit.js';
import type { AuditRow } from './rows.js';

// The audit log is one chain: each record holds the previous record's hash. Records are sealed with an
// HMAC whose key lives outside the database (SALVE_AUDIT_KEY_FILE), so someone who can write the database can
// delete or change records but cannot re-seal the chain after them. The seal covers exactly the text stored:
// the columns as written and the data column's JSON text, never a re-serialisation of what was read back.

export const GENESIS_HASH = '0'.repeat(64);

/** How a record is sealed: 1 = SHA-256 of canonical JSON (before the key existed), 2 = HMAC-SHA256. */
export const auditSchemes = { legacy: 1, keyed: 2 } as const;

/** The secret that seals the chain; `id` names it in logs and records without revealing it. */
export type AuditKey = { secret: Buffer; id: string };

export function auditKeyFrom(secret: Buffer): AuditKey {
  const id = createHmac('sha256', secret).update('salve audit key id').digest('hex').slice(0, 16);
  return { secret, id };
}

/** Where a chain ends: the next record links to `hash`; scheme 0 is the empty chain. */
export type ChainHead = { seq: number; hash: string; scheme: number };
export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH, scheme: 0 };

/** A record as the stores insert it: the data column's text is the text the seal covers. */
export type SealedRecord = AuditRecord & { dataText: string };

/** JSON with keys sorted at every depth: the legacy scheme's canonical form. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Scheme 1, kept to verify records written before the key existed. */
export function legacyHash(record: Omit<AuditRecord, 'hash' | 'scheme'>): string {
  const { seq, at, type, actor, healId, policy, target, outcome, data, prevHash } = record;
  const body = canonicalJson({ seq, at, type, actor, healId, policy, target, outcome, data, prevHash });
  return createHash('sha256').update(body).digest('hex');
}

type Columns = Pick<
  AuditRow,
  'at' | 'type' | 'actor' | 'heal_id' | 'policy' | 'target' | 'outcome' | 'data' | 'prev_hash'
> & { seq: number };

/** Scheme 2: HMAC over the stored columns, in a fixed order, as UTF-8. */
export function keyedHash(c: Columns, key: AuditKey): string {
  const body = JSON.stringify([
    auditSchemes.keyed,
    c.seq,
    c.at,
    c.type,
    c.actor,
    c.heal_id,
    c.policy,
    c.target,
    c.outcome,
    c.prev_hash,
    c.data,
  ]);
  return createHmac('sha256', key.secret).update(body, 'utf8').digest('hex');
}

/**
 * A text column as the database keeps it. Inputs are checked at the edges; this is the last line: a lone
 * surrogate would be stored as U+FFFD and PostgreSQL refuses NUL, so the seal must cover what is stored.
 */
function stored(text: string): string;
function stored(text: string | null): string | null;
function stored(text: string | null): string | null {
  if (text === null) return null;
  const wellFormed = text.isWellFormed() ? text : text.toWellFormed();
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\uFFFD') : wellFormed;
}

function seal(input: AuditInput, seq: number, at: string, prevHash: string, key: AuditKey): SealedRecord {
  const columns = {
    seq,
    at: stored(input.at ?? at),
    type: stored(input.type),
    actor: stored(input.actor),
    heal_id: stored(input.healId),
    policy: stored(input.policy),
    target: stored(input.target),
    outcome: stored(input.outcome),
    prev_hash: prevHash,
    // JSON.stringify escapes lone surrogates and NUL, so this text is stored byte for byte.
    data: JSON.stringify(input.data),
  };
  // Built field by field, not spread from one another: half the CPU of sealing a record (measured).
  return {
    seq,
    at: columns.at,
    type: columns.type,
    actor: columns.actor,
    healId: columns.heal_id,
    policy: columns.policy,
    target: columns.target,
    outcome: columns.outcome,
    data: input.data,
    prevHash,
    scheme: auditSchemes.keyed,
    hash: keyedHash(columns, key),
    dataText: columns.data,
  };
}

/**
 * The record salve appends when it starts: the keyed chain begins here (with the key's id, and how many
 * unkeyed records come before it, whose last hash its seal covers). Appended once: `sealRecords` drops it
 * when the chain is keyed already, so replicas starting together write one.
 */
export function keyedMarker(): AuditInput {
  return {
    type: auditTypes.auditKeyed,
    actor: 'salve',
    healId: null,
    policy: null,
    target: null,
    outcome: null,
    data: {},
  };
}

/** Seals `inputs` after `head`, in order, each linked to the one before. */
export function sealRecords(
  inputs: readonly AuditInput[],
  at: string,
  head: ChainHead,
  key: AuditKey,
): SealedRecord[] {
  const out: SealedRecord[] = [];
  let { seq, hash, scheme } = head;
  for (const input of inputs) {
    let sealed = input;
    if (input.type === auditTypes.auditKeyed) {
      if (scheme === auditSchemes.keyed) continue;
      sealed = { ...input, data: { keyId: key.id, legacyRecords: seq, legacyHead: hash } };
    }
    seq += 1;
    const record = seal(sealed, seq, at, hash, key);
    hash = record.hash;
    scheme = record.scheme;
    out.push(record);
  }
  return out;
}

export function headOf(records: readonly SealedRecord[], before: ChainHead): ChainHead {
  const last = records.at(-1);
  return last ? { seq: last.seq, hash: last.hash, scheme: last.scheme } : before;
}

/** Column values for an INSERT, in the order both stores use. */
export function auditColumns(r: SealedRecord) {
  return [
    r.seq,
    r.at,
    r.type,
    r.actor,
    r.healId,
    r.policy,
    r.target,
    r.outcome,
    r.dataText,
    r.prevHash,
    r.hash,
    r.scheme,
  ] as const;
}

export const auditInsertColumns =
  'seq, at, type, actor, heal_id, policy, target, outcome, data, prev_hash, hash, scheme';

/** Why a stored record does not hold its own seal, or null when it does (links are checked by the walk). */
export function sealProblem(row: AuditRow, key: AuditKey): string | null {
  const seq = Number(row.seq);
  if (Number(row.scheme) === auditSchemes.keyed) {
    if (keyedHash({ ...row, seq }, key) === row.hash) return null;
    return `content does not match its seal${parsesAsJson(row.data) ? '' : ' (data is not valid JSON)'}`;
  }
  if (Number(row.scheme) !== auditSchemes.legacy) return `unknown seal scheme ${String(row.scheme)}`;
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    return 'data is not valid JSON';
  }
  const hash = legacyHash({
    seq,
    at: row.at,
    type: row.type,
    actor: row.actor,
    healId: row.heal_id,
    policy: row.policy,
    target: row.target,
    outcome: row.outcome,
    data: data as Record<string, unknown>,
    prevHash: row.prev_hash,
  });
  return hash === row.hash ? null : 'content does not match its hash';
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
