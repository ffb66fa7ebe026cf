import type { Database } from 'better-sqlite3';
import type { AlertQuery, Heal, HealAlert, HealQuery, StoredAlert } from '../types.js';

export type HealRow = {
  id: string;
  policy: string;
  target_key: string;
  target: string;
  state: Heal['state'];
  step: number;
  steps: string;
  dry_run: number;
  trigger: string;
  opened_at: string;
  updated_at: string;
  closed_at: string | null;
  phase: Heal['phase'];
  attempt: number;
  next_run_at: string | null;
  deadline_at: string | null;
  reason: string | null;
  idempotency_key: string | null;
  approved_by: string | null;
  approved_at: string | null;
};

export function healFromRow(row: HealRow): Heal {
  return {
    id: row.id,
    policy: row.policy,
    targetKey: row.target_key,
    target: JSON.parse(row.target),
    state: row.state,
    phase: row.phase,
    step: row.step,
    attempt: row.attempt,
    nextRunAt: row.next_run_at,
    deadlineAt: row.deadline_at,
    reason: row.reason,
    idempotencyKey: row.idempotency_key,
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
    steps: JSON.parse(row.steps),
    dryRun: row.dry_run === 1,
    trigger: JSON.parse(row.trigger),
    openedAt: row.opened_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
  };
}

type AlertRow = {
  id: number;
  fingerprint: string;
  starts_at: string;
  status: StoredAlert['status'];
  ends_at: string | null;
  labels: string;
  annotations: string;
  generator_url: string;
  delivery_id: number;
  received_at: string;
};

export function createSqliteReads(db: Database) {
  const getHeal = db.prepare('SELECT * FROM heals WHERE id = ?');
  const healAlerts = db.prepare(
    `SELECT fingerprint, starts_at, alertname, attached_at, resolved_at FROM heal_alerts
     WHERE heal_id = ? ORDER BY attached_at, fingerprint`,
  );
  const countOpen = db.prepare(
    `SELECT count(*) AS n FROM heals WHERE state IN ('pending', 'awaiting_approval', 'running', 'verifying')`,
  );
  const getSetting = db.prepare('SELECT value FROM settings WHERE key = ?');

  return {
    getHeal(id: string): Heal | null {
      const row = getHeal.get(id) as HealRow | undefined;
      return row ? healFromRow(row) : null;
    },
    listHeals(q: HealQuery): Heal[] {
      const where: string[] = ['1 = 1'];
      if (q.state) where.push('state = @state');
      if (q.policy) where.push('policy = @policy');
      if (q.target) where.push('target_key = @target');
      if (q.beforeId) where.push('id < @beforeId');
      const rows = db
        .prepare(`SELECT * FROM heals WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT @limit`)
        .all(q) as HealRow[];
      return rows.map(healFromRow);
    },
    healAlerts(id: string): HealAlert[] {
      return (healAlerts.all(id) as Array<Record<string, string | null>>).map((r) => ({
        fingerprint: r.fingerprint as string,
        startsAt: r.starts_at as string,
        alertname: r.alertname as string,
        attachedAt: r.attached_at as string,
        resolvedAt: r.resolved_at ?? null,
      }));
    },
    countOpenHeals(): number {
      return (countOpen.get() as { n: number }).n;
    },
    listAlerts(q: AlertQuery): Array<StoredAlert & { id: number }> {
      const where: string[] = ['id > @afterId'];
      if (q.fingerprint) where.push('fingerprint = @fingerprint');
      if (q.status) where.push('status = @status');
      const rows = db
        .prepare(`SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`)
        .all({ ...q, afterId: q.afterId ?? 0 }) as AlertRow[];
      return rows.map((r) => ({
        id: r.id,
        fingerprint: r.fingerprint,
        startsAt: r.starts_at,
        status: r.status,
        endsAt: r.ends_at,
        labels: JSON.parse(r.labels),
        annotations: JSON.parse(r.annotations),
        generatorURL: r.generator_url,
        deliveryId: r.delivery_id,
        receivedAt: r.received_at,
      }));
    },
    getSetting(key: string): string | null {
      return (getSetting.get(key) as { value: string } | undefined)?.value ?? null;
    },
  };
}
