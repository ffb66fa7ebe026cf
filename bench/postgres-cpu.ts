import fs from 'node:fs';
import path from 'node:path';
import type { TestPostgres } from '../test/support/postgres.js';
import { readProcStat, TICKS_PER_SECOND } from './proc-stat.js';

/**
 * CPU time (user + system, microseconds) of a PostgreSQL server so far: the postmaster, its live backends and
 * the backends that already exited (reaped into the postmaster's child times). Returns null where /proc is
 * missing (not Linux), so the figure is left out rather than wrong.
 */
export async function postgresCpuReader(pg: TestPostgres): Promise<(() => number) | null> {
  if (!fs.existsSync('/proc/self/stat')) return null;
  const [row] = await pg.query<{ setting: string }>(
    pg.adminUrl,
    "SELECT setting FROM pg_settings WHERE name = 'data_directory'",
  );
  if (row === undefined) return null;
  const postmaster = Number(fs.readFileSync(path.join(row.setting, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (readProcStat(postmaster) === null) return null;
  return () => {
    let ticks = 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const stat = readProcStat(pid);
      if (stat === null) continue;
      if (pid === postmaster) ticks += stat.ticks + stat.childTicks;
      else if (stat.ppid === postmaster) ticks += stat.ticks;
    }
    return (ticks / TICKS_PER_SECOND) * 1e6;
  };
}
