import { randomBytes } from 'node:crypto';
import { loadOrCreateAuditKey } from '../audit/key.js';
import { systemClock } from '../clock.js';
import { loadConfig, type ParsedCommandLine } from '../config/load.js';
import { openStore } from '../deps.js';
import type { AuditRecord } from '../domain/audit.js';
import { SalveError } from '../errors.js';
import { auditKeyFrom } from '../store/audit-chain.js';
import { parseCheckpoint } from '../store/audit-verify.js';
import type { AuditVerification } from '../store/types.js';

function line(r: AuditRecord): string {
  const parts = [r.at, `#${r.seq}`, r.type, r.actor];
  if (r.policy) parts.push(`policy=${r.policy}`);
  if (r.target) parts.push(`target=${r.target}`);
  if (r.healId) parts.push(`heal=${r.healId}`);
  // Steps are numbered from 1 in the records, as in the API and notifications.
  if (typeof r.data.step === 'number') parts.push(`step=${r.data.step}`);
  if (r.outcome) parts.push(`outcome=${r.outcome}`);
  if (r.corrupt) parts.push(`CORRUPT: ${r.corrupt}`);
  return parts.join(' ');
}

function report(result: AuditVerification, out: NodeJS.WritableStream): void {
  const keyed =
    result.keyedFrom === null ? 'no record sealed with the key' : `keyed from #${result.keyedFrom}`;
  const legacy = result.legacyRecords > 0 ? `, ${result.legacyRecords} unkeyed older record(s)` : '';
  if (result.ok) {
    out.write(
      `audit chain ok: ${result.records} records, head ${result.headSeq}:${result.head} (${keyed}${legacy})\n`,
    );
    if (result.checkpoint) out.write(`checkpoint ${result.checkpoint.seq}:${result.checkpoint.head} holds\n`);
    return;
  }
  out.write(`audit chain BROKEN: ${result.problemCount} problem(s) in ${result.records} records\n`);
  for (const p of result.problems) out.write(`  #${p.seq}: ${p.reason}\n`);
  if (result.problemCount > result.problems.length)
    out.write(`  ... and ${result.problemCount - result.problems.length} more\n`);
}

/** `salve audit [--follow] [--verify [--expect SEQ:HEAD]] [--json]`: reads the store named by the configuration. */
export async function audit(
  cmd: ParsedCommandLine,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<number> {
  const config = loadConfig(env, cmd.raw);
  const clock = systemClock();
  const expectText = cmd.extra.expect as string | undefined;
  const expect = expectText === undefined ? undefined : parseCheckpoint(expectText);
  if (expect === null) {
    throw new SalveError(
      'SALVE_REQUEST_INVALID',
      `--expect ${expectText}: expected SEQ:HEAD (64 hex digits)`,
    );
  }
  // Only verifying needs the key; reading the log never seals anything.
  const key = cmd.extra.verify
    ? (() => {
        try {
          return loadOrCreateAuditKey(config.auditKeyFile, { generate: false }).key;
        } catch (cause) {
          throw new SalveError(
            'SALVE_CONFIG_INVALID',
            `verifying needs the audit key that sealed the chain (SALVE_AUDIT_KEY_FILE, now ${config.auditKeyFile}): ${(cause as Error).message}`,
            { cause },
          );
        }
      })()
    : auditKeyFrom(randomBytes(32));
  // A command answers at once: waiting for the database at start-up (SALVE_STORE_WAIT) is the server's.
  const store = openStore({ ...config, storeWait: 0 }, clock, key);
  try {
    await store.migrate();
    if (cmd.extra.verify) {
      const result = await store.verifyAudit({ requireRecords: true, ...(expect ? { expect } : {}) });
      if (cmd.extra.json) out.write(`${JSON.stringify(result, null, 2)}\n`);
      else report(result, out);
      return result.ok ? 0 : 1;
    }
    const print = (r: AuditRecord) => out.write(`${cmd.extra.json ? JSON.stringify(r) : line(r)}\n`);
    let after = 0;
    for (;;) {
      const records = await store.queryAudit({ afterSeq: after, limit: 500 });
      for (const r of records) print(r);
      after = records.at(-1)?.seq ?? after;
      if (records.length === 500) continue;
      if (!cmd.extra.follow || signal?.aborted) return 0;
      await clock.sleep(1000, signal).catch(() => undefined);
      if (signal?.aborted) return 0;
    }
  } finally {
    await store.close();
  }
}
