import type { ReceivedAlert } from '../../alerts/schema.js';
import { currentMarkBase, type Heal } from '../../domain/heal.js';
import type { MatchOutcome } from '../../policy/types.js';

/** A delivery of the recorded history: its alerts, received together. */
export type ReplayDelivery = {
  receivedAt: string;
  receiver: string;
  groupKey: string;
  externalURL: string;
  alerts: ReceivedAlert[];
};

export type Match = Extract<MatchOutcome, { outcome: 'match' }>;

/** The heal an alert opens, as the store opens one on ingest (src/store/programs/new-heal.ts): pending, at step 0. */
export function pendingHeal(
  id: string,
  d: ReplayDelivery,
  alert: ReceivedAlert,
  m: Match,
  dryRun: boolean,
): Heal {
  return {
    id,
    policy: m.policy,
    targetKey: m.targetKey,
    target: m.target,
    stage: 'guards',
    state: 'pending',
    step: 0,
    attempt: 0,
    nextRunAt: d.receivedAt,
    deadlineAt: null,
    pageAt: null,
    pagedAt: null,
    reason: null,
    idempotencyKey: null,
    approvedBy: null,
    approvedAt: null,
    steps: m.steps,
    dryRun,
    trigger: {
      kind: 'alert',
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      alertname: alert.labels.alertname ?? '',
      receiver: d.receiver,
      groupKey: d.groupKey,
      externalURL: d.externalURL,
    },
    openedAt: d.receivedAt,
    updatedAt: d.receivedAt,
    closedAt: null,
    traceContext: null,
    markBase: currentMarkBase,
  };
}
