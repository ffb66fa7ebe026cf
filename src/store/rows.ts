import type { AuditRecord } from '../domain/audit.js';
import {
  type Heal,
  type HealAlert,
  type HealStage,
  type OpenHealState,
  openHealStates,
  phaseOf,
  stageOf,
  stateOf,
} from '../domain/heal.js';
import type { HealPatch } from '../domain/heal-transition.js';
import type { DeferredMatch, OpenHealCounts, StoredAlert } from './types.js';

// Rows as both stores return them: the same column names; SQLite gives numbers where node-postgres gives
// bigint strings, and 0/1 where PostgreSQL gives booleans.

export type HealRow = {
  id: string;
  policy: string;
  target_key: string;
  target: string;
  state: Heal['state'];
  phase: string;
  step: number;
  attempt: number;
  steps: string;
  dry_run: boolean | number;
  trigger: string;
  opened_at: string;
  updated_at: string;
  closed_at: string | null;
  next_run_at: string | null;
  deadline_at: string | null;
  reason: string | null;
  idempotency_key: string | null;
  approved_by: string | null;
  approved_at: string | null;
  page_at: string | null;
  paged_at: string | null;
  trace_context: string | null;
  mark_base: number;
};

/** The columns of a new heal's row. */
export type HealInsertRow = Pick<
  HealRow,
  | 'id'
  | 'policy'
  | 'target_key'
  | 'target'
  | 'state'
  | 'phase'
  | 'step'
  | 'steps'
  | 'trigger'
  | 'opened_at'
  | 'updated_at'
  | 'next_run_at'
  | 'idempotency_key'
  | 'trace_context'
  | 'mark_base'
> & { dry_run: boolean; idempotency_scope: string | null; idempotency_digest: string | null };

export function healFromRow(row: HealRow): Heal {
  return {
    id: row.id,
    policy: row.policy,
    targetKey: row.target_key,
    target: JSON.parse(row.target),
    stage: stageOf(row.state, row.phase),
    state: row.state,
    step: row.step,
    attempt: row.attempt,
    nextRunAt: row.next_run_at,
    deadlineAt: row.deadline_at,
    reason: row.reason,
    idempotencyKey: row.idempotency_key,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    pageAt: row.page_at ?? null,
    pagedAt: row.paged_at ?? null,
    steps: JSON.parse(row.steps),
    dryRun: row.dry_run === true || row.dry_run === 1,
    trigger: JSON.parse(row.trigger),
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    traceContext: row.trace_context ?? null,
    markBase: Number(row.mark_base),
  };
}

export type HealAlertRow = {
  fingerprint: string;
  starts_at: string;
  alertname: string;
  attached_at: string;
  resolved_at: string | null;
};

export function healAlertFromRow(r: HealAlertRow): HealAlert {
  return {
    fingerprint: r.fingerprint,
    startsAt: r.starts_at,
    alertname: r.alertname,
    attachedAt: r.attached_at,
    resolvedAt: r.resolved_at,
  };
}

export type AlertRow = {
  /** bigint: node-postgres hands it over as a string. */
  id: string | number;
  fingerprint: string;
  starts_at: string;
  status: StoredAlert['status'];
  ends_at: string | null;
  labels: string;
  annotations: string;
  generator_url: string;
  delivery_id: string | number;
  received_at: string;
};

export function alertFromRow(r: AlertRow): StoredAlert & { id: number } {
  return {
    id: Number(r.id),
    fingerprint: r.fingerprint,
    startsAt: r.starts_at,
    status: r.status,
    endsAt: r.ends_at,
    labels: JSON.parse(r.labels),
    annotations: JSON.parse(r.annotations),
    generatorURL: r.generator_url,
    deliveryId: Number(r.delivery_id),
    receivedAt: r.received_at,
  };
}

export type AuditRow = {
  seq: string | number;
  at: string;
  type: string;
  actor: string;
  heal_id: string | null;
  policy: string | null;
  target: string | null;
  outcome: string | null;
  data: string;
  prev_hash: string;
  hash: string;
  scheme: string | number;
};

/** A damaged record is still shown (with `corrupt` saying what is wrong): reading the log never fails on it. */
export function auditFromRow(row: AuditRow): AuditRecord {
  let data: Record<string, unknown> = {};
  let corrupt: string | undefined;
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      data = parsed as Record<string, unknown>;
    else corrupt = 'data is not a JSON object';
  } catch {
    corrupt = 'data is not valid JSON';
  }
  return {
    seq: Number(row.seq),
    at: row.at,
    type: row.type,
    actor: row.actor,
    healId: row.heal_id,
    policy: row.policy,
    target: row.target,
    outcome: row.outcome,
    data,
    prevHash: row.prev_hash,
    hash: row.hash,
    scheme: Number(row.scheme),
    ...(corrupt === undefined ? {} : { corrupt }),
  };
}

/** The columns a transition writes for the heal fields it sets: the stage is stored as its state and phase. */
export function healPatchColumns(set: HealPatch): Array<[column: string, value: unknown]> {
  const columns: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(set) as Array<[keyof HealPatch, unknown]>) {
    if (value === undefined) continue;
    if (key === 'stage') {
      const stage = value as HealStage;
      columns.push(['state', stateOf(stage)], ['phase', phaseOf(stage)]);
    } else columns.push([patchColumns[key], value]);
  }
  return columns;
}

const patchColumns: Record<Exclude<keyof HealPatch, 'stage'>, string> = {
  step: 'step',
  attempt: 'attempt',
  nextRunAt: 'next_run_at',
  deadlineAt: 'deadline_at',
  reason: 'reason',
  closedAt: 'closed_at',
  approvedBy: 'approved_by',
  approvedAt: 'approved_at',
  pageAt: 'page_at',
  pagedAt: 'paged_at',
  traceContext: 'trace_context',
};

/** Rows of `SELECT state, count(*) AS n ... GROUP BY state` over open heals, with every open state present. */
export function openHealCountsFrom(rows: ReadonlyArray<{ state: string; n: number }>): OpenHealCounts {
  const counts = Object.fromEntries(openHealStates.map((s) => [s, 0])) as OpenHealCounts;
  for (const { state, n } of rows) {
    if (state in counts) counts[state as OpenHealState] = Number(n);
  }
  return counts;
}

/** A deferred match with its alert and the delivery that brought it; both stores select it the same way. */
export const deferredSelect = `
  SELECT d.id, d.policy, d.subject, d.detail, d.attempts, d.created_at, d.delivery_id, d.actor, d.dry_run,
         a.fingerprint, a.starts_at, a.status, a.ends_at, a.labels, a.annotations, a.generator_url,
         dl.receiver, dl.group_key, dl.external_url,
         EXISTS (SELECT 1 FROM alerts r WHERE r.fingerprint = d.fingerprint AND r.starts_at = d.starts_at
                                          AND r.status = 'resolved') AS alert_resolved
    FROM deferred_matches d
    JOIN alerts a ON a.fingerprint = d.fingerprint AND a.starts_at = d.starts_at AND a.status = d.status
    JOIN deliveries dl ON dl.id = d.delivery_id`;

export type DeferredRow = {
  id: string;
  policy: string;
  subject: string;
  detail: string;
  attempts: number;
  created_at: string;
  /** SQLite: a number; PostgreSQL: a bigint string. */
  delivery_id: number | string;
  actor: string;
  /** SQLite: 0/1; PostgreSQL: boolean. */
  dry_run: number | boolean;
  fingerprint: string;
  starts_at: string;
  status: StoredAlert['status'];
  ends_at: string | null;
  labels: string;
  annotations: string;
  generator_url: string;
  receiver: string;
  group_key: string;
  external_url: string;
  alert_resolved: number | boolean;
};

export function deferredFromRow(r: DeferredRow): DeferredMatch {
  return {
    id: r.id,
    alert: {
      fingerprint: r.fingerprint,
      startsAt: r.starts_at,
      status: r.status,
      endsAt: r.ends_at,
      labels: JSON.parse(r.labels),
      annotations: JSON.parse(r.annotations),
      generatorURL: r.generator_url,
    },
    policy: r.policy,
    subject: JSON.parse(r.subject),
    detail: r.detail,
    attempts: Number(r.attempts),
    createdAt: r.created_at,
    alertResolved: Boolean(r.alert_resolved),
    deliveryId: Number(r.delivery_id),
    actor: r.actor,
    delivery: { receiver: r.receiver, groupKey: r.group_key, externalURL: r.external_url },
    dryRun: Boolean(r.dry_run),
  };
}
