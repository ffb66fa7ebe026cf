// The narrow port under the store's meaning: the statements each database implements, and its locking.
// What to write and in which order is decided once, above it, by the programs in src/store/programs/.
import type { AuditInput } from '../domain/audit.js';
import type { AlertKey } from '../domain/heal-events.js';
import type { ActionFinish, ActionRecordInput, LimitCounts } from '../domain/ledger.js';
import type { OutboxInput } from '../domain/notification.js';
import type { HealInsertRow, HealRow } from './rows.js';
import type { IngestAlert, IngestInput } from './types.js';

/** An answer now (SQLite, inside its one writer's transaction) or later (PostgreSQL). */
export type Maybe<T> = T | Promise<T>;

/** A (policy, target) pair: the identity of an open heal. */
export type PolicyTarget = { policy: string; targetKey: string };

/** Which heal rows an update may change: the compare-and-set of a move. */
export type HealGuard = {
  /** The lease holder (null: anyone, an operator's decision). */
  owner: string | null;
  /** Still in this stage, stored as its state and phase. */
  expect?: { state: string; phase: string };
  /** No attached alert still firing. */
  noFiringAlerts?: boolean;
};

export type HealUpdate = {
  columns: Array<[column: string, value: unknown]>;
  releaseLease?: boolean;
  renewLeaseUntil?: string;
};

/** What counting a reservation's limits reads: an unset limit is given a time that counts nothing. */
export type LimitQuery = {
  healId: string;
  policy: string;
  targetKey: string;
  globalSince: string;
  targetSince: string;
  cooldownSince: string;
};

export type Attachment = AlertKey & { healId: string; alertname: string };

/** The attachment of a resolved alert to a heal that waited for it. */
export type ResolvedAttachment = { healId: string; policy: string; targetKey: string };

/** The statements of a store that answers at once: SQLite, inside its one writer's transaction. */
export type SyncStoreStatements = {
  [K in keyof StoreStatements]: (
    ...args: Parameters<StoreStatements[K]>
  ) => Exclude<ReturnType<StoreStatements[K]>, Promise<unknown>>;
};

export interface StoreStatements {
  // Deliveries
  insertDelivery(input: IngestInput): Maybe<number>;
  /** Inserts the alerts by identity; returns those this delivery is the first to bring, in delivery order. */
  insertAlerts(input: IngestInput, deliveryId: number): Maybe<IngestAlert[]>;
  setNewCount(deliveryId: number, count: number): Maybe<void>;
  /** Marks the alert's unresolved attachments resolved and wakes their heals; returns them, by heal id. */
  resolveAttachments(alert: AlertKey, at: string): Maybe<ResolvedAttachment[]>;
  attachAlerts(attachments: readonly Attachment[], at: string): Maybe<void>;

  // Heals
  /** Whatever opening heals for these pairs must hold first (PostgreSQL: advisory locks; SQLite: its writer). */
  lockOpeners(pairs: readonly PolicyTarget[], idempotencyKey?: string): Maybe<void>;
  /** The open heals of these pairs (PostgreSQL: share-locked until the commit). */
  openHeals(pairs: readonly PolicyTarget[]): Maybe<HealRow[]>;
  healByKey(scope: string, key: string): Maybe<HealRow | null>;
  getHealRow(id: string): Maybe<HealRow | null>;
  insertHeals(rows: readonly HealInsertRow[]): Maybe<void>;
  /** The compare-and-set: the row as updated, or null when the guard did not hold. */
  updateHeal(id: string, update: HealUpdate, guard: HealGuard, at: string): Maybe<HealRow | null>;
  resolveAttachment(healId: string, alert: AlertKey, at: string): Maybe<void>;
  releaseTargetLock(targetKey: string, healId: string): Maybe<void>;

  // The action ledger
  /** Serialises reservations: counting and inserting must not interleave (PostgreSQL: an advisory lock). */
  lockLimits(): Maybe<void>;
  /** The step's row that counts (not failed, not dry-run), if the heal holds one. */
  slotHeld(healId: string, step: number): Maybe<boolean>;
  countLimits(query: LimitQuery): Maybe<LimitCounts>;
  insertReservation(action: ActionRecordInput, at: string): Maybe<void>;
  startAction(action: ActionRecordInput, at: string): Maybe<void>;
  finishAction(healId: string, finish: ActionFinish & { step: number }, at: string): Maybe<void>;
  /** Slots reserved and never used. */
  releaseSlots(healId: string): Maybe<void>;

  // Outbox and audit
  enqueueOutbox(items: readonly OutboxInput[], healId: string | null, at: string): Maybe<void>;
  /** Appends to the chain. PostgreSQL takes the audit lock here: call it last in a transaction. */
  appendAudit(records: readonly AuditInput[], at: string): Maybe<void>;
}
