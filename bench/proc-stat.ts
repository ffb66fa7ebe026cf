import fs from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
export const TICKS_PER_SECOND = 100;

export type ProcStat = { ppid: number; ticks: number; childTicks: number };

/**
 * A process's parent and CPU time (user + system, its own and its reaped children's) from /proc/<pid>/stat;
 * null when there is no such process or no /proc (not Linux).
 */
export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields are counted from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), ticks: at(14) + at(15), childTicks: at(16) + at(17) };
}

/** A process's own CPU time so far (user + system), in microseconds; null as for `readProcStat`. */
export function processCpuMicros(pid: number): number | null {
  const stat = readProcStat(pid);
  return stat === null ? null : (stat.ticks / TICKS_PER_SECOND) * 1e6;
}
