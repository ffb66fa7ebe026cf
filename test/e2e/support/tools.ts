import { spawnSync } from 'node:child_process';
import { repoRoot } from '../../support/fixtures.js';

export type ToolRun = { code: number | null; out: string };

/** Runs a command in the repository root and returns its exit code with stdout and stderr together. */
export function runTool(
  command: string,
  args: readonly string[],
  timeoutMs = 60_000,
  env: Record<string, string> = {},
): ToolRun {
  const r = spawnSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ...env },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    return { code: null, out: `${command}: not found` };
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** True when `command args...` runs and exits 0 (e.g. `docker compose version`). */
export const works = (command: string, args: readonly string[]): boolean =>
  runTool(command, args, 20_000).code === 0;

/** Says once, visibly, why a check is skipped. */
export function warnSkip(what: string, missing: string, install: string): void {
  console.warn(`SKIPPED ${what}: ${missing} is not installed (${install})`);
}
