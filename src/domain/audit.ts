// What the audit log records: the kinds of record, and a record as salve writes it (the store seals it).

/** The kinds of audit record. Stable strings: operators filter on them. */
export const auditTypes = {
  deliveryReceived: 'delivery.received',
  policyRefused: 'policy.refused',
  /** An `ownerOf` target could not be resolved in time: the match waits for a later resolution. */
  policyDeferred: 'policy.deferred',
  /** A deferred match that will never be resolved: its policy is gone or no longer matches, or its alert resolved. */
  policyDeferredDropped: 'policy.deferred_dropped',
  healOpened: 'heal.opened',
  /** One per (delivery, heal): every alert the delivery attached to the heal after the one that opened it. */
  healAlertsAttached: 'heal.alerts_attached',
  /** Written by earlier versions, one per attached alert; older chains still hold them. */
  healAlertAttached: 'heal.alert_attached',
  healAlertResolved: 'heal.alert_resolved',
  guardPassed: 'guard.passed',
  guardHeld: 'guard.held',
  guardRefused: 'guard.refused',
  approvalRequested: 'approval.requested',
  approvalGranted: 'approval.granted',
  approvalRejected: 'approval.rejected',
  approvalExpired: 'approval.expired',
  /** A heal waited for a decision past its policy's `pageAfter`: its notifiers were told to page someone. */
  approvalPaged: 'approval.paged',
  actionStarted: 'action.started',
  actionFinished: 'action.finished',
  actionDryRun: 'action.dry_run',
  actionRetry: 'action.retry',
  actionFailed: 'action.failed',
  verifyRollout: 'verify.rollout',
  verifyResolved: 'verify.resolved',
  healNextStep: 'heal.next_step',
  healResolved: 'heal.resolved',
  healEscalated: 'heal.escalated',
  healCancelled: 'heal.cancelled',
  healRefused: 'heal.refused',
  healFailed: 'heal.failed',
  healDryRunFinished: 'heal.dry_run_finished',
  pauseSet: 'pause.set',
  pauseCleared: 'pause.cleared',
  breakerReset: 'breaker.reset',
  /** The chain is sealed with the audit key from this record on (written once, after unkeyed records). */
  auditKeyed: 'audit.keyed',
} as const;
export type AuditType = (typeof auditTypes)[keyof typeof auditTypes];

export type AuditRecord = {
  seq: number;
  at: string;
  type: string;
  /** Who or what: `alertmanager:<receiver>`, `token:<name>`, `salve`. */
  actor: string;
  healId: string | null;
  policy: string | null;
  target: string | null;
  outcome: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** How the record is sealed: 1 = unkeyed SHA-256 (records older than the audit key), 2 = HMAC. */
  scheme: number;
  /** Set when the stored data is not valid JSON (a damaged or tampered record): `data` is then `{}`. */
  corrupt?: string;
};

/** A record as salve writes it; the store gives it its place in the chain and seals it. */
export type AuditInput = Omit<AuditRecord, 'seq' | 'at' | 'prevHash' | 'hash' | 'scheme' | 'corrupt'> & {
  at?: string;
};
