import { alertIdentity, type ReceivedAlert } from '../alerts/schema.js';
import { type AuditInput, auditTypes } from '../domain/audit.js';
import type { HealTrigger, ResolvedStep } from '../domain/heal.js';
import type { TargetRef } from '../domain/target.js';
import type { MatchOutcome } from '../policy/types.js';
import type { IngestAlert, IngestInput, IngestResult } from './types.js';

// The records the store's programs write: what a delivery brought, what it opened, what was refused.

export type AlertRef = { fingerprint: string; startsAt: string; alertname: string };
type Match = Extract<MatchOutcome, { outcome: 'match' }>;
type Refusal = Extract<MatchOutcome, { outcome: 'refused' }>;

export function alertRefOf(alert: ReceivedAlert): AlertRef {
  return {
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    alertname: alert.labels.alertname ?? '',
  };
}

export function alertTrigger(input: IngestInput, ref: AlertRef): HealTrigger {
  const { delivery } = input;
  return {
    kind: 'alert',
    ...ref,
    receiver: delivery.receiver,
    groupKey: delivery.groupKey,
    externalURL: delivery.externalURL,
  };
}

export function deliveryReceivedRecord(
  input: IngestInput,
  deliveryId: number,
  fresh: readonly IngestAlert[],
  deduplicated: number,
): AuditInput {
  const { delivery } = input;
  return {
    type: auditTypes.deliveryReceived,
    actor: input.actor,
    healId: null,
    policy: null,
    target: null,
    outcome: null,
    data: {
      deliveryId,
      receiver: delivery.receiver,
      groupKey: delivery.groupKey,
      externalURL: delivery.externalURL,
      alerts: fresh.map(({ alert }) => alertIdentity(alert)),
      deduplicated,
    },
  };
}

export function alertResolvedRecord(
  input: IngestInput,
  heal: { healId: string; policy: string; targetKey: string },
  ref: AlertRef,
  endsAt: string | null,
): AuditInput {
  return {
    type: auditTypes.healAlertResolved,
    actor: input.actor,
    healId: heal.healId,
    policy: heal.policy,
    target: heal.targetKey,
    outcome: 'resolved',
    data: { ...ref, endsAt },
  };
}

export function refusalRecord(input: IngestInput, refusal: Refusal, ref: AlertRef): AuditInput {
  return {
    type: auditTypes.policyRefused,
    actor: input.actor,
    healId: null,
    policy: refusal.policy,
    target: null,
    outcome: refusal.reason,
    data: { ...ref, reason: refusal.reason, detail: refusal.detail },
  };
}

/** A heal opened: what it will act on and how, and what opened it. The one shape, by alert or by hand. */
export function healOpenedRecord(
  heal: {
    id: string;
    policy: string;
    targetKey: string;
    target: TargetRef;
    steps: ResolvedStep[];
    dryRun: boolean;
  },
  actor: string,
  trigger: AlertRef | HealTrigger,
): AuditInput {
  return {
    type: auditTypes.healOpened,
    actor,
    healId: heal.id,
    policy: heal.policy,
    target: heal.targetKey,
    outcome: 'pending',
    data: { trigger, target: heal.target, steps: heal.steps, dryRun: heal.dryRun },
  };
}

/** An alert attached to the open heal of its policy and target. */
export function alertAttachedRecord(
  input: IngestInput,
  healId: string,
  match: Match,
  ref: AlertRef,
): AuditInput {
  return {
    type: auditTypes.healAlertAttached,
    actor: input.actor,
    healId,
    policy: match.policy,
    target: match.targetKey,
    outcome: 'attached',
    data: ref,
  };
}

/** A delivery's result before its heals are opened or attached: what was new and what was a repeat. */
export function newIngestResult(
  deliveryId: number,
  input: IngestInput,
  fresh: readonly IngestAlert[],
): IngestResult {
  return {
    deliveryId,
    received: input.alerts.length,
    new: fresh.length,
    deduplicated: input.alerts.length - fresh.length,
    opened: [],
    attached: [],
    refused: 0,
    resolved: 0,
  };
}
