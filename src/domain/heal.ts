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
export type OpenHealState = (typeof openHealStates)[number];

/**
 * The heal state machine's states (docs/heal-lifecycle.md). An open stage says what the engine does next when
 * the heal is due; an end stage says how the heal ended. `state`, the word operators see and filter on, and
 * `phase` are derived from it: both are stored beside it for the API and the one-open-heal index.
 */
export const healStages = {
  guards: {
    state: 'pending',
    does: 'runs the guards in order: pause, allowed, cooldown, rate limits, approval, autonomy',
  },
  approval: {
    state: 'awaiting_approval',
    does: 'waits for an operator to approve or reject, until it expires; pages once past its pageAfter',
  },
  action: {
    state: 'running',
    does: "runs the step's action (retried with backoff when the failure is retryable)",
  },
  rollout: {
    state: 'verifying',
    does: "watches the rollout with kubectl's rollout-status rule, until a deadline",
  },
  resolve: { state: 'verifying', does: 'waits for every attached alert to resolve, until a deadline' },
  resolved: { state: 'resolved', does: 'nothing: the alerts resolved after a step' },
  escalated: {
    state: 'escalated',
    does: 'nothing: a human must look (steps exhausted, loop breaker, ceiling)',
  },
  failed: { state: 'failed', does: 'nothing: the step could not run as written' },
  cancelled: { state: 'cancelled', does: 'nothing: rejected, expired, or the alerts resolved before acting' },
  refused: { state: 'refused', does: 'nothing: a guard refused (not allowed, cooldown, removed policy)' },
  dry_run: { state: 'dry_run', does: 'nothing: a dry run ended where a real heal would resolve or escalate' },
} as const satisfies Record<string, { state: HealState; does: string }>;
export type HealStage = keyof typeof healStages;

export const openStages = ['guards', 'approval', 'action', 'rollout', 'resolve'] as const;
export type OpenStage = (typeof openStages)[number];
export type EndStage = Exclude<HealStage, OpenStage>;

/** What an API reader sees: the open stage, or `done` once the heal ended. */
export const healPhases = [...openStages, 'done'] as const;
export type HealPhase = (typeof healPhases)[number];

export const isOpenStage = (stage: HealStage): stage is OpenStage =>
  (openStages as readonly string[]).includes(stage);
export const stateOf = (stage: HealStage): HealState => healStages[stage].state;
export const phaseOf = (stage: HealStage): HealPhase => (isOpenStage(stage) ? stage : 'done');

const firstStageOf: Record<HealState, HealStage> = {
  pending: 'guards',
  awaiting_approval: 'approval',
  running: 'action',
  verifying: 'resolve',
  resolved: 'resolved',
  escalated: 'escalated',
  failed: 'failed',
  cancelled: 'cancelled',
  refused: 'refused',
  dry_run: 'dry_run',
};

/** The stage a stored (state, phase) pair stands for: the phase of an open heal, the state of an ended one. */
export function stageOf(state: HealState, phase: string): HealStage {
  if (isOpenStage(phase as HealStage) && stateOf(phase as HealStage) === state) return phase as HealStage;
  return firstStageOf[state];
}

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
  /** Where the heal is in the state machine: what the engine does next, or how it ended. */
  stage: HealStage;
  /** The operator's word for the stage (derived from it). */
  state: HealState;
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
  /**
   * When a heal waiting for approval pages someone (its policy's `guards.approval.pageAfter`), unless decided
   * first; null when no page is due. A timer like `nextRunAt`, so it fires across restarts.
   */
  pageAt: string | null;
  /** When salve paged a human about this heal while it was open; null when it never did. */
  pagedAt: string | null;
  steps: ResolvedStep[];
  dryRun: boolean;
  trigger: HealTrigger;
  openedAt: string;
  updatedAt: string;
  closedAt: string | null;
  /**
   * The W3C `traceparent` of the heal's root span, when the heal is traced: every later span of the heal, on
   * whichever replica continues it, starts under it, so the heal reads as one trace. Null when untraced.
   */
  traceContext: string | null;
  /**
   * What the step adds to its index in the marks and names the heal leaves on what it changes (annotations,
   * Job, Event and run names), so that a re-run of a step recognises its own work: 1 for heals this release
   * opens, 0 for heals opened before steps were numbered from 1, which keep the marks they began with.
   */
  markBase: number;
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

/** The step as the heal's marks and names count it (see `markBase`): the step number, for every new heal. */
export const markStep = (heal: Pick<Heal, 'step' | 'markBase'>) => heal.step + heal.markBase;

/** What every heal opened now writes in `markBase`: its marks count steps as people do, from 1. */
export const currentMarkBase = 1;
