import { alertIdentity } from '../alerts/identity.js';
import type { ReceivedAlert } from '../alerts/schema.js';
import { type AuditInput, auditTypes } from '../domain/audit.js';
import type { HealTrigger, ResolvedStep } from '../domain/heal.js';
import type { TargetRef } from '../domain/target.js';
import type { MatchOutcome, Resolution } from '../policy/types.js';
import type { DeferredMatch, HealRef, IngestAlert, IngestInput, IngestResult } from './types.js';

// The records the store's programs write: what a delivery brought, what it opened, what was refused.

export type AlertRef = { fingerprint: string; startsAt: string; alertname: string };
/** An attached alert, and for an ownerOf target how it was found: Pod -> ReplicaSet -> Deployment. */
export type AttachedAlert = AlertRef & { resolution?: Resolution };
type Refusal = Extract<MatchOutcome, { outcome: 'refused' }>;
type Deferral = Extract<MatchOutcome, { outcome: 'deferred' }>;

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

/** An `ownerOf` target the API could not resolve in time: kept, to be tried again. */
export function deferredRecord(input: IngestInput, deferral: Deferral, ref: AlertRef): AuditInput {
  return {
    type: auditTypes.policyDeferred,
    actor: input.actor,
    healId: null,
    policy: deferral.policy,
    target: null,
    outcome: 'deferred',
    data: { ...ref, subject: deferral.subject, detail: deferral.detail },
  };
}

/** A deferred match given up: it will never open a heal. */
export function droppedRecord(
  input: IngestInput,
  drop: { policy: string; reason: string; detail: string },
  ref: AlertRef,
): AuditInput {
  return {
    type: auditTypes.policyDeferredDropped,
    actor: input.actor,
    healId: null,
    policy: drop.policy,
    target: null,
    outcome: drop.reason,
    data: { ...ref, reason: drop.reason, detail: drop.detail },
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
    /** How an ownerOf target was found: Pod -> ReplicaSet -> Deployment. */
    resolution?: Resolution;
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
    data: {
      trigger,
      target: heal.target,
      steps: heal.steps,
      dryRun: heal.dryRun,
      ...(heal.resolution === undefined ? {} : { resolution: heal.resolution }),
    },
  };
}

/**
 * The alerts one delivery attached to a heal (the heal's own trigger is in its heal.opened record): which
 * alerts, which delivery, which heal, when and from whom.
 */
export function alertsAttachedRecord(
  input: IngestInput,
  deliveryId: number,
  heal: HealRef,
  alerts: readonly AttachedAlert[],
): AuditInput {
  return {
    type: auditTypes.healAlertsAttached,
    actor: input.actor,
    healId: heal.id,
    policy: heal.policy,
    target: heal.target,
    outcome: 'attached',
    data: { deliveryId, alerts },
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
    deferred: 0,
  };
}

/**
 * What settling a deferred match writes with: the actor, delivery and dry-run of the delivery that brought its
 * alert (the heal it opens is that delivery's), at the time of the settlement.
 */
export function settlementInput(match: DeferredMatch, at: string): IngestInput {
  return {
    receivedAt: at,
    actor: match.actor,
    delivery: { ...match.delivery, status: match.alert.status, truncatedAlerts: 0 },
    alerts: [],
    dryRun: match.dryRun,
  };
}
