import { type FSWatcher, watch as fsWatch } from 'node:fs';
import type { ActionRegistry } from '../actions/registry.js';
import { type Clock, systemClock } from '../clock.js';
import { SalveError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { loadPolicyDir } from './loader.js';
import { formatProblem } from './problems.js';
import type { PolicyTable } from './table.js';
import type { PolicyProblem } from './types.js';

export type ReloadEvent = { ok: true; policies: number } | { ok: false; problems: PolicyProblem[] };

export type PolicySourceOptions = {
  dir: string;
  registry: ActionRegistry;
  log: Logger;
  /** Told about every reload attempt after the first load, e.g. to count failures in a metric. */
  onReload?: (event: ReloadEvent) => void;
  clock?: Clock;
  /** Quiet time after the last file event before reloading: editors and ConfigMap swaps touch several files. */
  debounceMs?: number;
  /**
   * What the quiet time is measured on: real time, whatever `clock` is, since how soon to look again is no
   * decision (a fake clock in a test of something else must not stop reloads). Tests of the debounce move a fake one.
   */
  debounceClock?: Clock;
};

export type PolicySourceStatus = {
  dir: string;
  /** When the table in force was loaded. */
  loadedAt: string;
  policies: number;
  /** Whether the last attempt succeeded; when false, the table in force is the last good one. */
  ok: boolean;
  problems: PolicyProblem[];
  warnings: PolicyProblem[];
  lastAttemptAt: string;
};

export type PolicySource = {
  current(): PolicyTable;
  status(): PolicySourceStatus;
  reload(): Promise<{ ok: boolean; problems: PolicyProblem[] }>;
  /** Reload on changes in the directory until `close()`. */
  watch(): void;
  close(): void;
};

/** Loads `dir` once (a bad first load throws SALVE_POLICY_INVALID), then keeps the table fresh. */
export async function createPolicySource(options: PolicySourceOptions): Promise<PolicySource> {
  const { dir, registry, log } = options;
  const clock = options.clock ?? systemClock();
  const debounceMs = options.debounceMs ?? 200;
  const debounceClock = options.debounceClock ?? systemClock();

  const first = await loadPolicyDir(dir, registry, { clock });
  if (first.table === null) {
    const lines = first.problems.map((p) => `  ${formatProblem(p)}`).join('\n');
    throw new SalveError('SALVE_POLICY_INVALID', `policies in ${dir} are invalid:\n${lines}`, {
      details: { problems: first.problems },
    });
  }
  for (const w of first.warnings) log.warn({ warning: formatProblem(w) }, 'policy warning');
  log.info({ dir, policies: first.table.policies.length }, 'policies loaded');

  let table = first.table;
  let state: PolicySourceStatus = {
    dir,
    loadedAt: table.loadedAt,
    policies: table.policies.length,
    ok: true,
    problems: [],
    warnings: first.warnings,
    lastAttemptAt: table.loadedAt,
  };
  let watcher: FSWatcher | null = null;
  /** The quiet time running now: a new file event restarts it. */
  let quiet: AbortController | null = null;
  let closed = false;
  // Reloads run one at a time, in order, so an older read never replaces a newer table.
  let queue: Promise<unknown> = Promise.resolve();

  const notify = (event: ReloadEvent) => {
    try {
      options.onReload?.(event);
    } catch (err) {
      log.error({ err }, 'policy reload listener failed');
    }
  };

  const attempt = async () => {
    const result = await loadPolicyDir(dir, registry, { clock });
    const lastAttemptAt = clock.now().toISOString();
    if (result.table === null) {
      state = { ...state, ok: false, problems: result.problems, warnings: result.warnings, lastAttemptAt };
      log.error({ problems: result.problems }, 'policy reload failed; keeping the last good table');
      notify({ ok: false, problems: result.problems });
      return { ok: false, problems: result.problems };
    }
    table = result.table;
    const policies = table.policies.length;
    state = {
      dir,
      loadedAt: table.loadedAt,
      policies,
      ok: true,
      problems: [],
      warnings: result.warnings,
      lastAttemptAt,
    };
    for (const w of result.warnings) log.warn({ warning: formatProblem(w) }, 'policy warning');
    log.info({ dir, policies }, 'policies reloaded');
    notify({ ok: true, policies });
    return { ok: true, problems: [] };
  };

  const reload = () => {
    const next = queue.then(attempt);
    queue = next.catch(() => undefined);
    return next;
  };

  const schedule = () => {
    if (closed) return;
    quiet?.abort();
    const current = new AbortController();
    quiet = current;
    debounceClock.sleep(debounceMs, current.signal).then(
      () => {
        if (quiet === current) quiet = null;
        if (!closed) reload().catch((err) => log.error({ err }, 'policy reload crashed'));
      },
      () => undefined, // restarted by a later event, or closed
    );
  };

  const arm = () => {
    if (closed || watcher !== null) return;
    try {
      // The directory, not the files: editors replace files by rename and a ConfigMap swaps its `..data`
      // symlink, and either way the old file's watch would go silent.
      watcher = fsWatch(dir, { persistent: false }, schedule);
    } catch (err) {
      log.error({ err, dir }, 'cannot watch the policy directory; retrying');
      setTimeout(arm, debounceMs * 10).unref();
      return;
    }
    watcher.on('error', (err) => {
      log.error({ err, dir }, 'policy directory watch failed; re-arming');
      watcher?.close();
      watcher = null;
      setTimeout(() => {
        arm();
        schedule();
      }, debounceMs * 10).unref();
    });
  };

  return {
    current: () => table,
    status: () => state,
    reload,
    watch: arm,
    close: () => {
      closed = true;
      quiet?.abort();
      watcher?.close();
      watcher = null;
    },
  };
}
