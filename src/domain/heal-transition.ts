// What one move of a heal writes: the heal's new fields, the records that explain it, the notifications it
// causes and its bookkeeping. The machine (heal-machine.ts) produces it; the engine commits it in one store
// transaction.
import type { AuditInput } from './audit.js';
import type { Heal, HealStage } from './heal.js';
import type { AlertKey, HealEventType } from './heal-events.js';
import type { ActionFinish, ActionRecordInput, SlotReservation } from './ledger.js';
import type { NotificationEvent, NotificationKind } from './notification.js';

/** The heal fields a move may set. `state` and `phase` follow `stage`. */
export type HealPatch = Partial<
  Pick<
    Heal,
    | 'stage'
    | 'step'
    | 'attempt'
    | 'nextRunAt'
    | 'deadlineAt'
    | 'reason'
    | 'closedAt'
    | 'approvedBy'
    | 'approvedAt'
    | 'pageAt'
    | 'pagedAt'
    | 'traceContext'
  >
>;

/** A notification as a move causes it; the engine addresses it to the policy's notifiers and adds the alert. */
export type NotificationDraft = { kind: NotificationKind } & Pick<
  NotificationEvent,
  'step' | 'refusal' | 'escalation' | 'resolution' | 'cancellation' | 'dryRun' | 'approval'
>;

export type Transition = {
  event: HealEventType;
  from: HealStage;
  to: HealStage;
  /** The heal as the move leaves it. */
  heal: Heal;
  set: HealPatch;
  audit: AuditInput[];
  notify: NotificationDraft[];
  /** Take the step's slot in the counted limits, atomically with the move. */
  reserveSlot?: SlotReservation;
  /** Record the action as started (counted by cooldown and rate limits from now). */
  startAction?: ActionRecordInput;
  /** Finish the action record of this step. */
  finishAction?: ActionFinish & { step: number };
  /** Attached alerts known to have resolved by other means, marked so before the move's checks. */
  resolveAlerts?: AlertKey[];
  /** The move fails if an attached alert still fires: closing as resolved must not swallow a late alert. */
  requireAlertsResolved?: boolean;
  /** The heal no longer needs its target: the step is over. */
  releaseTargetLock?: boolean;
  /** The heal ended: no lease to keep. */
  releaseLease?: boolean;
};
