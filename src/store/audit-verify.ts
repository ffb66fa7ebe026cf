import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { type AuditKey, auditSchemes, type ChainHead, GENESIS_HASH, sealProblem } from './audit-chain.js';
import type { AuditRow } from './rows.js';
import type { AuditProblem, AuditVerification, AuditVerifyOptions } from './types.js';

/** What the walk needs from a store: the head when it starts, then pages of raw rows in sequence order. */
export type AuditRows = {
  head(): Promise<ChainHead>;
  /** Rows with seq > `afterSeq`, in order, at most `limit`, exactly as stored. */
  page(afterSeq: number, limit: number): Promise<AuditRow[]>;
};

export type WalkOptions = AuditVerifyOptions & {
  pageSize?: number;
  /** The event loop gets a turn after at most this much work: webhooks and probes never wait behind verify. */
  sliceMs?: number;
};

const MAX_LISTED = 1000;

/**
 * Gives the event loop a turn. When other work was waiting (the turn took a while), the walk steps back for
 * as long again: under load, webhooks get most of the loop and the walk takes longer; when salve is idle, the
 * walk runs at full speed.
 */
async function giveWay(): Promise<void> {
  const asked = performance.now();
  await nextTurn();
  const busyMs = performance.now() - asked;
  if (busyMs > 1) await sleep(Math.min(busyMs, 50));
}

/**
 * Walks the chain from its start (or from a verified checkpoint) to the head it had when the walk began, and
 * names every record that does not hold: a missing sequence number, a broken link, a seal that does not match,
 * an unkeyed record after the chain was keyed, data that is not JSON. One bad record does not hide the next.
 */
export async function walkAuditChain(
  rows: AuditRows,
  key: AuditKey,
  options: WalkOptions = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 500;
  const sliceMs = options.sliceMs ?? 3;
  const top = await rows.head();
  const problems: AuditProblem[] = [];
  let problemCount = 0;
  const add = (seq: number, reason: string) => {
    problemCount += 1;
    if (problems.length < MAX_LISTED) problems.push({ seq, reason });
  };

  let expectedSeq = 1;
  let expectedPrev = GENESIS_HASH;
  let keyedFrom: number | null = null;
  const from = options.from && options.from.seq > 0 ? options.from : undefined;
  if (from) {
    const [row] = await rows.page(from.seq - 1, 1);
    if (row === undefined || Number(row.seq) !== from.seq) {
      add(from.seq, 'verified earlier and now missing: the chain was cut or this record deleted');
    } else if (row.hash !== from.head) {
      add(from.seq, 'changed since it was verified: its hash is not the verified one');
    } else if (Number(row.scheme) === auditSchemes.keyed) {
      keyedFrom = from.keyedFrom ?? null;
    }
    expectedSeq = from.seq + 1;
    expectedPrev = from.head;
  }

  const expect = options.expect;
  let checkpoint: AuditVerification['checkpoint'];
  let records = 0;
  let legacyRecords = 0;
  let head = { seq: expectedSeq - 1, hash: expectedPrev };
  let sliceStart = performance.now();

  for (let after = expectedSeq - 1; after < top.seq; ) {
    const page = await rows.page(after, pageSize);
    for (const row of page) {
      const seq = Number(row.seq);
      if (seq > top.seq) break;
      records += 1;
      if (seq !== expectedSeq) {
        add(
          expectedSeq,
          seq === expectedSeq + 1
            ? `record #${expectedSeq} is missing`
            : `records #${expectedSeq} to #${seq - 1} are missing`,
        );
      } else if (row.prev_hash !== expectedPrev) {
        add(seq, 'link to the previous record does not match');
      }
      const scheme = Number(row.scheme);
      if (scheme === auditSchemes.keyed) keyedFrom ??= seq;
      else {
        legacyRecords += 1;
        if (keyedFrom !== null) add(seq, `unkeyed record after the chain was keyed at #${keyedFrom}`);
      }
      const broken = sealProblem(row, key);
      if (broken !== null) add(seq, broken);
      if (expect && seq === expect.seq) {
        checkpoint = { ...expect, ok: row.hash === expect.head };
        if (!checkpoint.ok) add(seq, 'differs from the published checkpoint: the chain was rewritten');
      }
      expectedSeq = seq + 1;
      expectedPrev = row.hash;
      head = { seq, hash: row.hash };
      if (performance.now() - sliceStart >= sliceMs) {
        await giveWay();
        sliceStart = performance.now();
      }
    }
    if (page.length < pageSize || head.seq >= top.seq) break;
    after = head.seq;
    // A page read is work too: give the loop its turn between pages whatever the slice says.
    await giveWay();
    sliceStart = performance.now();
  }

  if (!from && legacyRecords === records && records > 0) {
    add(
      1,
      'no record is sealed with the audit key: salve seals a record when it first starts with its key, so the ' +
        'sealed records were deleted or rewritten without the key (or salve never ran on this store with a key)',
    );
  }
  if (!from && records === 0 && top.seq === 0 && options.requireRecords) {
    add(
      1,
      'the chain is empty: salve seals a record when it starts, so its records were deleted (or salve never ran on this store)',
    );
  }
  if (expect && checkpoint === undefined) {
    checkpoint = { ...expect, ok: false };
    add(
      expect.seq,
      expect.seq > head.seq
        ? `the chain ends at #${head.seq}, before the checkpoint #${expect.seq}: records were deleted`
        : `is before where this run started (#${head.seq - records}); verify the whole chain`,
    );
  }
  const first = problems[0];
  return {
    ok: problemCount === 0,
    records,
    from: from?.seq ?? 0,
    headSeq: head.seq,
    head: head.hash,
    keyedFrom,
    legacyRecords,
    problems,
    problemCount,
    ...(first ? { brokenAt: first.seq, reason: first.reason } : {}),
    ...(checkpoint ? { checkpoint } : {}),
  };
}

/**
 * Whether the newest record holds its seal under `key`; null when no record is sealed with a key. A key that
 * does not verify the newest keyed record is another key than the one that sealed the chain (or that record
 * was altered): appending with it would fork the chain's seals.
 */
export async function checkNewestSeal(
  rows: AuditRows,
  key: AuditKey,
): Promise<{ seq: number; ok: boolean } | null> {
  const top = await rows.head();
  if (top.scheme !== auditSchemes.keyed) return null;
  const [row] = await rows.page(top.seq - 1, 1);
  return { seq: top.seq, ok: row !== undefined && sealProblem(row, key) === null };
}

/** `SEQ:HEAD` as salve logs and publishes checkpoints. */
export function parseCheckpoint(text: string): { seq: number; head: string } | null {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  return m ? { seq: Number(m[1]), head: m[2]! } : null;
}
