import pg from 'pg';
import { lockSpace, storeLocks } from '../src/store/postgres/locks.js';
import { processCpuMicros } from './proc-stat.js';

/**
 * What the database's client backends are doing, sampled every few milliseconds from a connection of its own
 * (pg_stat_activity, and pg_locks for an advisory lock not yet granted): whether batches wait on each other's
 * locks, on the WAL's fsync, or on their clients. Each category is a share of backend-samples.
 */
export type WaitShares = {
  samples: number;
  backends: number;
  shares: Record<string, number>;
  /** Share of samples in which some backend held the audit lock: near 1, every commit waits its turn there. */
  auditHeld: number;
  /**
   * Transactions the database committed meanwhile (pg_stat_database, which backends report at most about
   * once a second: roughly). Deliveries over commits says how large the batches were.
   */
  commits: number;
  /** CPU time (us) of the sampling connection's own backend: not salve's, so not in PostgreSQL's figure. */
  samplerCpuMicros: number;
};

export const waitCategories = [
  'running',
  'lock: audit',
  'lock: ingest',
  'lock: alert/target',
  'WAL: fsync/write',
  "WAL: another's flush",
  'client, in transaction',
] as const;

// The two-int advisory form reports (key1, key2) as (classid, objid) with objsubid 2; the bigint form, 1.
const sampleSql = `
SELECT a.state, a.wait_event_type AS type, a.wait_event AS event,
       l.objsubid AS subid, l.objid AS objid,
       EXISTS (SELECT 1 FROM pg_locks h WHERE h.pid = a.pid AND h.granted AND h.locktype = 'advisory'
               AND h.objsubid = 2 AND h.classid = ${lockSpace} AND h.objid = ${storeLocks.audit}) AS audit
FROM pg_stat_activity a
LEFT JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted AND l.locktype = 'advisory'
WHERE a.datname = $1 AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`;

type SampleRow = {
  state: string | null;
  type: string | null;
  event: string | null;
  subid: number | null;
  objid: number | null;
  audit: boolean;
};

/**
 * The category of one backend in one sample (any other wait by its type and event); null for an idle connection
 * (in the pool, outside a transaction).
 */
function categorise(row: SampleRow): string | null {
  if (row.state === 'idle') return null;
  // The backend waits for its client (salve's next statement, or its reading of the last answer).
  if (row.state !== 'active') return `client, in transaction${row.audit ? ', holding audit' : ''}`;
  if (row.type === 'Lock' && row.event === 'advisory') {
    if (Number(row.subid) === 1) return 'lock: alert/target';
    return Number(row.objid) === storeLocks.audit ? 'lock: audit' : 'lock: ingest';
  }
  const holding = row.audit ? ', holding audit' : '';
  if (row.type === null) return `running${holding}`;
  // PostgreSQL 17 spells the events WALSync, 18 WalSync; an LWLock on WALWrite waits for another's flush.
  if (row.type === 'IO' && /^wal/i.test(row.event ?? '')) return `WAL: fsync/write${holding}`;
  if (row.type === 'LWLock' && /^walwrite$/i.test(row.event ?? '')) return `WAL: another's flush${holding}`;
  return `${row.type}: ${row.event}${holding}`;
}

/** Samples the backends of the database at `url` every `everyMs` until `stop()`. */
export async function sampleWaits(
  adminUrl: string,
  url: string,
  everyMs = 10,
): Promise<{ stop(): Promise<WaitShares> }> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const database = new URL(url).pathname.slice(1);
  const commits = async () =>
    Number(
      (
        await client.query<{ n: string }>(
          'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1',
          [database],
        )
      ).rows[0]?.n ?? 0,
    );
  const commitsBefore = await commits();
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  // Where /proc is missing, 0: nothing is subtracted.
  const backendCpuMicros = (pid: number) => processCpuMicros(pid) ?? 0;
  const cpuBefore = backendCpuMicros(pid);
  const counts: Record<string, number> = {};
  let samples = 0;
  let backends = 0;
  let auditHeld = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query<SampleRow>(sampleSql, [database]);
      samples += 1;
      if (rows.some((row) => row.audit)) auditHeld += 1;
      for (const row of rows) {
        const category = categorise(row);
        backends += 1;
        counts[category ?? 'idle'] = (counts[category ?? 'idle'] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const committed = (await commits()) - commitsBefore;
      const samplerCpuMicros = Math.max(0, backendCpuMicros(pid) - cpuBefore);
      await client.end();
      const shares: Record<string, number> = {};
      for (const [category, n] of Object.entries(counts)) shares[category] = n / Math.max(1, backends);
      const held = auditHeld / Math.max(1, samples);
      return { samples, backends, shares, auditHeld: held, commits: committed, samplerCpuMicros };
    },
  };
}
