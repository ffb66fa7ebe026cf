import type { AlertStatus, ReceivedAlert } from '../alerts/schema.js';
import type { AuditInput, AuditRecord } from '../domain/audit.js';
import type { Heal, HealAlert, HealStage, HealState, OpenHealState, ResolvedStep } from '../domain/heal.js';
import type { HealRecord } from '../domain/heal-record.js';
import type { HealPatch } from '../domain/heal-transition.js';
import type { ActionFinish, ActionRecordInput, SlotReservation } from '../domain/ledger.js';
import type { NotificationEvent, OutboxInput } from '../domain/notification.js';
import type { TargetRef } from '../domain/target.js';
import type { ChainSubject } from '../kube/owner-chain.js';
import type { MatchOutcome } from '../policy/types.js';
import type { HealHistoryQuery } from './history.js';

/** Open heals by state; every open state is present, 0 when none. */
export type OpenHealCounts = Record<OpenHealState, number>;

export type AuditQuery = {
  since?: string;
  until?: string;
  policy?: string;
  target?: string;
  healId?: string;
  type?: string;
  outcome?: string;
  /** Exclusive: records after this sequence number. */
  afterSeq?: number;
  /** Exclusive: records before this sequence number (paging newest first). */
  beforeSeq?: number;
  /** Newest first: what a reader of recent activity wants (the console's audit view). Default oldest first. */
  newestFirst?: boolean;
  limit: number;
};

/** A point of the chain: record `seq` has hash `head`. Published so the chain can be checked against it. */
export type AuditCheckpoint = { seq: number; head: string };

/** One record that does not hold: changed, deleted, out of place, unreadable. */
export type AuditProblem = { seq: number; reason: string };

export type AuditVerifyOptions = {
  /** Start after this checkpoint, which an earlier run verified (its record must still have that hash). */
  from?: AuditCheckpoint & { keyedFrom?: number | null };
  /** A checkpoint published earlier: the chain must still reach it and pass through it. */
  expect?: AuditCheckpoint;
  /** An empty chain is a problem: salve seals a record when it starts, so only deleting records empties it. */
  requireRecords?: boolean;
};

export type AuditVerification = {
  ok: boolean;
  /** Records checked by this run. */
  records: number;
  /** 0 when the run started at the beginning of the chain, else the checkpoint it started after. */
  from: number;
  /** The last record checked: the chain's head when the run started. */
  headSeq: number;
  head: string;
  /** The first record sealed with the audit key; null when no record is. */
  keyedFrom: number | null;
  /** Records older than the audit key (unkeyed): only a later keyed record or a checkpoint protects them. */
  legacyRecords: number;
  /** Every record that does not hold, in order (the first 1000; `problemCount` counts them all). */
  problems: AuditProblem[];
  problemCount: number;
  /** The first problem, for a one-line answer. */
  brokenAt?: number;
  reason?: string;
  /** The result of checking `expect`. */
  checkpoint?: AuditCheckpoint & { ok: boolean };
};

export type IngestAlert = {
  alert: ReceivedAlert;
  outcomes: MatchOutcome[];
  /**
   * The alert's labels and annotations as the store keeps them (JSON text), when made already: the SQLite store
   * makes them before its writer thread, where `alert` then carries of its labels only what the writes read.
   */
  stored?: { labels: string; annotations: string };
};

export type IngestInput = {
  receivedAt: string;
  actor: string;
  delivery: {
    receiver: string;
    groupKey: string;
    externalURL: string;
    status: AlertStatus;
    truncatedAlerts: number;
  };
  alerts: IngestAlert[];
  /** Global dry-run: heals opened by this delivery are marked dry-run. */
  dryRun: boolean;
  /**
   * The `traceparent` of the root span each heal this delivery may open starts with, by policy and target;
   * a heal without one is untraced (tracing is off).
   */
  traces?: ReadonlyArray<{ policy: string; targetKey: string; traceContext: string }>;
};

export type HealRef = { id: string; policy: string; target: string };

export type IngestResult = {
  deliveryId: number;
  received: number;
  new: number;
  deduplicated: number;
  opened: HealRef[];
  attached: HealRef[];
  refused: number;
  resolved: number;
  /** `ownerOf` outcomes kept for a later resolution (the API did not answer in time). */
  deferred: number;
};

/**
 * A match whose `ownerOf` target could not be resolved when its alert arrived: kept with the alert, tried again
 * until it resolves, is refused, or is dropped (src/service/deferred-matches.ts).
 */
export type DeferredMatch = {
  id: string;
  alert: ReceivedAlert;
  policy: string;
  subject: ChainSubject;
  detail: string;
  attempts: number;
  createdAt: string;
  /** Whether the same alert has since arrived resolved. */
  alertResolved: boolean;
  /** The delivery that brought the alert, who sent it and how: the trigger and records of the heal it opens. */
  deliveryId: number;
  actor: string;
  delivery: { receiver: string; groupKey: string; externalURL: string };
  dryRun: boolean;
};

/** How a deferred match ends: matched (a heal opens or the alert attaches), refused, or dropped. */
export type DeferredSettlement = {
  id: string;
  at: string;
  outcome:
    | Exclude<MatchOutcome, { outcome: 'deferred' }>
    | { outcome: 'dropped'; policy: string; reason: string; detail: string };
};

export type HealQuery = {
  state?: HealState;
  policy?: string;
  target?: string;
  /** Heals opened before this id (ids sort by time). */
  beforeId?: string;
  limit: number;
};

export type StoredAlert = ReceivedAlert & { receivedAt: string; deliveryId: number };

/**
 * Alerts are keyed by start time first (then fingerprint, then status): a fingerprint alone is no index
 * lookup, so a query naming one carries `startsAt` or a start window too, or it scans the whole index.
 */
export type AlertQuery = { fingerprint?: string; status?: AlertStatus; limit: number; afterId?: number } & {
  /** Only alerts received at or after this time (the history a policy backtest replays). */
  receivedSince?: string;
  /** Only alerts that started at this instant (normalised, as stored). */
  startsAt?: string;
  /** Only alerts that started at or after this instant. */
  startedSince?: string;
  /** Only alerts that started before this instant. */
  startedUntil?: string;
};

/** An alert's identity without its status: its firing and its resolution. */
export type AlertStart = { fingerprint: string; startsAt: string };

/** One atomic move of a heal: its new fields, the audit records that explain it, the action bookkeeping. */
export type HealTransition = {
  id: string;
  /** The lease holder; the move fails (SALVE_HEAL_CONFLICT) if another owner took the heal over. */
  owner: string | null;
  /** The move fails (SALVE_HEAL_CONFLICT) unless the heal is still in this stage (the one it was decided from). */
  expectStage?: HealStage;
  /**
   * The move fails (SALVE_HEAL_CONFLICT) if an alert attached to the heal is still firing: closing a heal as
   * resolved must not swallow an alert that attached after the check.
   */
  requireAlertsResolved?: boolean;
  /** Attached alerts known to have resolved by other means (Alertmanager's API), marked so before the checks. */
  resolveAlerts?: Array<{ fingerprint: string; startsAt: string }>;
  /** Extends the lease (a heartbeat while a long step runs). */
  renewLeaseUntil?: string;
  set: HealPatch;
  audit: AuditInput[];
  /**
   * Take the step's slot in the counted limits, atomically with this move; throws SALVE_LIMIT_REACHED when a
   * limit is full. A slot this heal already holds for the step is kept. The slot counts like an action from
   * now on; `startAction` turns it into the started action, and closing the heal without acting releases it.
   */
  reserveSlot?: SlotReservation;
  /** Record that an action is about to run (counted by cooldown and rate limits from this moment). */
  startAction?: ActionRecordInput;
  /** Finish the open action record of this heal and step. */
  finishAction?: ActionFinish & { step: number };
  releaseLease?: boolean;
  /** The step is over: hand the heal's target lock back, with the move. */
  releaseTargetLock?: boolean;
  /** Notifications committed with the move that causes them (the durable outbox). */
  notify?: OutboxInput[];
};

export type OutboxItem = {
  id: number;
  notifier: string;
  healId: string | null;
  event: NotificationEvent;
  attempts: number;
  createdAt: string;
};

export type OutboxResult =
  | { outcome: 'sent'; at: string }
  | { outcome: 'retry'; at: string; nextAttemptAt: string; error: string }
  | { outcome: 'dead'; at: string; error: string };

export type ManualHealInput = {
  policy: string;
  targetKey: string;
  target: TargetRef;
  steps: ResolvedStep[];
  dryRun: boolean;
  actor: string;
  reason: string;
  force: boolean;
  idempotencyKey: string | null;
  /** SHA-256 of the request the key came with: the same key with another request is refused. */
  requestDigest: string | null;
  at: string;
  /** The `traceparent` of the heal's root span, should a heal open; null: untraced. */
  traceContext?: string | null;
};

export type ClaimQuery = { now: string; owner: string; leaseUntil: string; limit: number };

/** One interface, two implementations (SQLite, PostgreSQL), one contract suite. All methods are async. */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  /** Proves the store can commit now: one small durable write (not a read: a read-only disk still reads). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Commits a delivery's new alerts, heal openings/attachments and audit records atomically. */
  ingest(input: IngestInput): Promise<IngestResult>;
  listAlerts(query: AlertQuery): Promise<Array<StoredAlert & { id: number }>>;
  /** Every stored status (firing, resolved) of these alerts, by id: one index lookup each. */
  alertsByStart(alerts: readonly AlertStart[]): Promise<Array<StoredAlert & { id: number }>>;
  /**
   * Which of these alert identities are already committed (a read, no transaction). Lets a pure re-delivery be
   * acknowledged without a write: everything it carries is already durable.
   */
  knownAlerts(
    alerts: ReadonlyArray<Pick<ReceivedAlert, 'fingerprint' | 'startsAt' | 'status'>>,
  ): Promise<Set<string>>;

  getHeal(id: string): Promise<Heal | null>;
  listHeals(query: HealQuery): Promise<Heal[]>;
  healAlerts(id: string): Promise<HealAlert[]>;
  countOpenHeals(): Promise<OpenHealCounts>;
  /** Heals opened since a time (one policy's or all), oldest first, with their ledger rows: for statistics. */
  healHistory(query: HealHistoryQuery): Promise<HealRecord[]>;

  appendAudit(records: AuditInput[]): Promise<AuditRecord[]>;
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** Walks the chain (or its part after `from`), yielding to the event loop between slices. */
  verifyAudit(options?: AuditVerifyOptions): Promise<AuditVerification>;
  /** Whether the newest keyed record verifies with this store's audit key (null: no keyed record yet). */
  checkAuditKey(): Promise<{ seq: number; ok: boolean } | null>;

  getSetting(key: string): Promise<string | null>;
  /** Sets (or, with null, clears) a setting; with `audit`, the records that tell it commit in the same transaction. */
  setSetting(key: string, value: string | null, audit?: AuditInput[]): Promise<void>;

  /** Leases due open heals to `owner` (skipping heals leased to others until their lease expires). */
  claimDueHeals(query: ClaimQuery): Promise<Heal[]>;
  /** Atomically applies a transition; throws SALVE_HEAL_CONFLICT when the lease was lost. */
  transition(t: HealTransition): Promise<Heal>;
  /** Hands every lease back (SQLite, one process: leases of a previous run belong to a dead process). */
  releaseLeases(owner: string | null): Promise<void>;
  /** Per-target exclusivity: only one step runs against one target at a time, across policies. */
  acquireTargetLock(targetKey: string, healId: string, now: string, until: string): Promise<boolean>;
  releaseTargetLock(targetKey: string, healId: string): Promise<void>;
  countActions(query: {
    targetKey?: string;
    policy?: string;
    since: string;
    excludeDryRun?: boolean;
  }): Promise<number>;
  lastActionAt(policy: string, targetKey: string): Promise<string | null>;
  /** Opens a heal by hand; the same idempotency key returns the same heal. */
  openManualHeal(input: ManualHealInput): Promise<{ heal: Heal; created: boolean }>;

  /** Leases due notifications to `owner`, oldest first. */
  claimOutbox(query: ClaimQuery): Promise<OutboxItem[]>;
  /** Records a delivery attempt's result, with the audit records that tell it. */
  finishOutbox(id: number, result: OutboxResult, audit: AuditInput[]): Promise<void>;
  /** Notifications not yet sent (pending), for the outbox metric and /readyz. */
  countPendingOutbox(): Promise<number>;

  /** Deferred matches due at `now`, oldest first. */
  dueDeferredMatches(now: string, limit: number): Promise<DeferredMatch[]>;
  /** Tries it again at `nextAt`, counting the attempt. */
  retryDeferredMatch(id: string, nextAt: string, detail: string): Promise<void>;
  /**
   * Ends a deferred match in one transaction: removes it and records its outcome as ingest would have (a heal
   * opened or attached, a refusal, a drop). Null when it was already settled (by another replica).
   */
  settleDeferredMatch(settlement: DeferredSettlement): Promise<IngestResult | null>;
  /** Deferred matches waiting, for /readyz and the metric. */
  countDeferredMatches(): Promise<number>;
}
