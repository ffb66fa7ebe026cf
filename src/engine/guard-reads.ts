import { type StepRecord, stepRecordOf, type Window } from '../domain/autonomy.js';
import type { PolicyTable } from '../policy/table.js';
import type { Store } from '../store/types.js';
import { breakerResetKey, type EngineDeps, type EngineSettings, pauseKey } from './context.js';

/**
 * Everything the guards read, and nothing they write. The live engine reads the store; the policy backtest
 * (src/service/replay) answers from an in-memory view of the recorded history in virtual time, so the same
 * guards decide both.
 */
export interface GuardReads {
  paused(): Promise<boolean>;
  /** When an operator last reset the heal-loop breaker of the target, if ever. */
  breakerResetAt(targetKey: string): Promise<string | null>;
  /** The latest counted action (not failed, not a dry run) of the policy on the target. */
  lastActionAt(policy: string, targetKey: string): Promise<string | null>;
  /** Counted actions (not failed, not dry runs) started since `since`, on one target or everywhere. */
  countActions(query: { targetKey?: string; since: string }): Promise<number>;
  /** The record of one step of one policy over a window: the autonomy guard's evidence. */
  stepRecord(policy: string, step: number, window: Window): Promise<StepRecord>;
}

/** What the guards decide from: their reads, the time, the table in force and the engine's ceiling. */
export type GuardDeps = Pick<EngineDeps, 'clock' | 'registry'> & {
  policies: { current(): PolicyTable };
  settings: Pick<EngineSettings, 'maxActionsPerHour'>;
  reads: GuardReads;
};

/** The guards' reads on the live store. */
export function storeGuardReads(
  store: Pick<Store, 'getSetting' | 'lastActionAt' | 'countActions' | 'healHistory'>,
): GuardReads {
  return {
    paused: async () => Boolean(await store.getSetting(pauseKey)),
    breakerResetAt: (targetKey) => store.getSetting(breakerResetKey(targetKey)),
    lastActionAt: (policy, targetKey) => store.lastActionAt(policy, targetKey),
    countActions: (q) => store.countActions({ ...q, excludeDryRun: true }),
    async stepRecord(policy, step, window) {
      return stepRecordOf(await store.healHistory({ since: window.since, policy }), policy, step, window);
    },
  };
}

/** The live engine's guard dependencies. */
export function liveGuardDeps(deps: EngineDeps): GuardDeps {
  return { ...deps, reads: storeGuardReads(deps.store) };
}
