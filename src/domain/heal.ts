// A heal: salve's attempt to bring one target back, through the steps of one policy.
import type { TargetRef } from './target.js';

export const healStates = [
  'pending',
  'awaiting_approval',
  'running',
  'verifying',
  'resolved',
  'escalated',
  'failed',
  'cancelled',
  'refused',
  /** A dry-run heal's end: what it would have come to is in `reason` and the audit log. */
  'dry_run',
] as const;
export type HealState = (typeof healStates)[number];

/** A heal in one of these states owns its (policy, target): new matching alerts attach to it. */
export const openHealStates = [
  'pending',
  'awaiting_approval',
  'running',
  'verifying',
] as const satisfies readonly HealState[];

/** Where an open heal is within its state: what the engine does next when the heal is due. */
export const healPhases = ['guards', 'approval', 'action', 'rollout', 'resolve', 'done'] as const;
export type HealPhase = (typeof healPhases)[number];

export type HealTrigger =
  | {
      kind: 'alert';
      fingerprint: string;
      startsAt: string;
      alertname: string;
      receiver: string;
      groupKey: string;
      /** Where the Alertmanager that sent it lives. */
      externalURL?: string;
    }
  | { kind: 'manual'; actor: string; reason: string; force: boolean };

/** How a step is verified. */
export type StepVerify = {
  /** Milliseconds to wait for the rollout to complete; absent = no rollout check. */
  rolloutMs?: number;
  /** Milliseconds to wait for every attached alert to resolve; absent = the engine's default. */
  resolvedMs?: number;
};

/** A step with its templates filled from one alert, its parameters validated by the action's schema. */
export type ResolvedStep = {
  action: string;
  params: unknown;
  verify: StepVerify;
};

export type Heal = {
  id: string;
  policy: string;
  targetKey: string;
  target: TargetRef;
  state: HealState;
  phase: HealPhase;
  /** Index of the step in progress (or last tried). */
  step: number;
  /** Attempt of the current step's action (retries of retryable failures). */
  attempt: number;
  /** When the engine should next look at this heal; null once closed. */
  nextRunAt: string | null;
  /** Deadline of the current wait (approval expiry, rollout, resolution). */
  deadlineAt: string | null;
  /** Why the heal is in its state (refusal reason, escalation cause, ...). */
  reason: string | null;
  idempotencyKey: string | null;
  /** Who approved the heal (when its policy requires approval), and when. */
  approvedBy: string | null;
  approvedAt: string | null;
  steps: ResolvedStep[];
  dryRun: boolean;
  trigger: HealTrigger;
  openedAt: string;
  updatedAt: string;
  closedAt: string | null;
};

/** An alert attached to a heal: the heal waits for it to resolve. */
export type HealAlert = {
  fingerprint: string;
  startsAt: string;
  alertname: string;
  attachedAt: string;
  resolvedAt: string | null;
};

/**
 * The step as people and clients see it, counted from 1 as the policy lists them: in the API, the audit log,
 * notifications, Kubernetes Events and the names salve gives what it creates. `heal.step` stays the index.
 */
export const stepNumber = (heal: Pick<Heal, 'step'>) => heal.step + 1;
