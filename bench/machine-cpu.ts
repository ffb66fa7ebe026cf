import fs from 'node:fs';
import { TICKS_PER_SECOND } from './proc-stat.js';

/** Busy and total CPU time of the whole machine so far, in /proc/stat's ticks (every CPU together). */
type MachineTicks = { busy: number; total: number };

function readMachineTicks(): MachineTicks | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user already)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = text
    .slice(0, text.indexOf('\n'))
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

export type MachineCpu = {
  /** Share of all the machine's CPUs busy over the window (user, nice, system, irq, softirq, steal). */
  busy: number;
  /**
   * Share of all the machine's CPUs busy with anything but the processes measured (the caller names their CPU
   * time): other work on a shared machine, and the kernel's time not charged to a process.
   */
  others(measuredMicros: number): number;
};

/**
 * Starts watching the machine's CPU; `stop()` says how busy it was since. Null where /proc/stat is missing
 * (not Linux), so the figure is left out rather than wrong. Whether one run saturated the CPUs, or shared them
 * with other work, is what makes its rate comparable with another run's.
 */
export function watchMachineCpu(): { stop(): MachineCpu } | null {
  const before = readMachineTicks();
  if (before === null) return null;
  return {
    stop() {
      const after = readMachineTicks()!;
      const total = Math.max(1, after.total - before.total);
      const busyTicks = after.busy - before.busy;
      return {
        busy: busyTicks / total,
        others: (measuredMicros) =>
          Math.max(0, busyTicks - (measuredMicros / 1e6) * TICKS_PER_SECOND) / total,
      };
    },
  };
}
