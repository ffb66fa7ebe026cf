import { systemClock } from '../clock.js';
import { loadConfig, type ParsedCommandLine } from '../config/load.js';
import { openStore } from '../deps.js';
import type { AuditRecord } from '../store/types.js';

function line(r: AuditRecord): string {
  const parts = [r.at, `#${r.seq}`, r.type, r.actor];
  if (r.policy) parts.push(`policy=${r.policy}`);
  if (r.target) parts.push(`target=${r.target}`);
  if (r.healId) parts.push(`heal=${r.healId}`);
  // Steps are numbered from 1 in the records, as in the API and notifications.
  if (typeof r.data.step === 'number') parts.push(`step=${r.data.step}`);
  if (r.outcome) parts.push(`outcome=${r.outcome}`);
  return parts.join(' ');
}

/** `salve audit [--follow] [--verify] [--json]`: reads the store named by the configuration. */
export async function audit(
  cmd: ParsedCommandLine,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<number> {
  const config = loadConfig(env, cmd.raw);
  const clock = systemClock();
  // A command answers at once: waiting for the database at start-up (SALVE_STORE_WAIT) is the server's.
  const store = openStore({ ...config, storeWait: 0 }, clock);
  try {
    await store.migrate();
    if (cmd.extra.verify) {
      const result = await store.verifyAudit();
      if (result.ok) {
        out.write(`audit chain ok: ${result.records} records, head ${result.head}\n`);
        return 0;
      }
      out.write(`audit chain BROKEN at record ${result.brokenAt}: ${result.reason}\n`);
      return 1;
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
