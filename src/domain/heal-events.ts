// What can happen to a heal: the events of its state machine (src/domain/heal-machine.ts). The engine decides
// an event from what it found (guard decisions, an action's result, the alerts); the machine says where it goes.
import type { GuardDecision, GuardRefusal } from './guard.js';
import type { ActionLimits, ActionRecordInput } from './ledger.js';

/** One alert identity as a heal holds it. */
export type AlertKey = { fingerprint: string; startsAt: string };

type Pass = Extract<GuardDecision, { verdict: 'pass' }>;

/** How the guards decided: the guards that passed, in order, before the one that decided (if any). */
type Guarded = { passed: Pass[] };

/** Why a step did not heal, in the stage where it gave up. */
export type StepFailure =
  | {
      in: 'action';
      code: string;
      message: string;
      retryable: boolean;
      durationMs: number;
    }
  | { in: 'rollout'; outcome: 'failed' | 'timed_out'; detail: string }
  | { in: 'resolve'; stillFiring: number };

/** An action's outcome as the step records it. */
export type StepResult = {
  status: 'changed' | 'unchanged';
  detail: string;
  data?: Record<string, unknown>;
  durationMs: number;
};

/** Every event carries the time it was decided at: the move is stamped with it. */
export type HealEvent = { at: string } & (
  | ({ type: 'guard_held'; hold: Extract<GuardDecision, { verdict: 'hold' }>; retryAt: string } & Guarded)
  | ({ type: 'guard_refused'; refusal: GuardRefusal } & Guarded)
  | ({ type: 'guard_escalated'; refusal: GuardRefusal; dryRun: boolean } & Guarded)
  | ({
      type: 'approval_required';
      request: Extract<GuardDecision, { verdict: 'await_approval' }>;
      expiresAt: string;
      /** When the wait pages the policy's notifiers (its `pageAfter`), if before the expiry; null: never. */
      pageAt: string | null;
      /** What each step would do, in words, for the people deciding. */
      wouldDo: string[];
    } & Guarded)
  | ({ type: 'guards_passed'; reserve?: { action: ActionRecordInput; limits: ActionLimits } } & Guarded)
  | {
      type: 'alerts_resolved';
      /** In the resolve stage: how salve learned it (Alertmanager's notifications or its API). */
      source?: string;
      /** Alerts Alertmanager's API no longer lists: resolved, before their notification arrives. */
      resolvedByApi?: AlertKey[];
      dryRun?: boolean;
    }
  | { type: 'approval_expired' }
  | {
      type: 'approval_overdue';
      /** When the heal began to wait for a decision. */
      waitingSince: string;
      wouldDo: string[];
    }
  | { type: 'approved'; actor: string; comment?: string; via: string }
  | { type: 'rejected'; actor: string; comment?: string; via: string }
  | { type: 'step_invalid'; why: string }
  | { type: 'step_dry_run'; record: ActionRecordInput; wouldDo: string; deadlineAt: string }
  | { type: 'step_started'; record: ActionRecordInput; limits: ActionLimits; params: unknown }
  | { type: 'step_finished'; result: StepResult; deadlineAt: string; nextRunAt: string }
  | { type: 'step_rolling_out'; result: StepResult; deadlineAt: string; nextRunAt: string }
  | {
      type: 'step_retry';
      failure: Extract<StepFailure, { in: 'action' }>;
      retryAt: string;
      retryInMs: number;
    }
  | { type: 'rollout_done'; detail: string; deadlineAt: string }
  | { type: 'next_step'; failure: StepFailure }
  | { type: 'steps_exhausted'; failure: StepFailure; dryRun: boolean }
  | { type: 'nothing_to_verify'; dryRun: boolean }
);

export type HealEventType = HealEvent['type'];
export type EventOf<T extends HealEventType> = Extract<HealEvent, { type: T }>;
