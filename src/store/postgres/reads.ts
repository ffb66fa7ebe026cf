import { alertIdentity, type ReceivedAlert } from '../../alerts/schema.js';
import type { Heal, HealAlert } from '../../domain/heal.js';
import {
  type AlertRow,
  alertFromRow,
  type HealAlertRow,
  type HealRow,
  healAlertFromRow,
  healFromRow,
  openHealCountsFrom,
} from '../rows.js';
import { openStatesSql } from '../sql.js';
import type { AlertQuery, HealQuery, OpenHealCounts, StoredAlert } from '../types.js';
import { params, type Queryable } from './db.js';

export async function getHeal(db: Queryable, id: string): Promise<Heal | null> {
  const { rows } = await db.query<HealRow>('SELECT * FROM heals WHERE id = $1', [id]);
  return rows[0] ? healFromRow(rows[0]) : null;
}

export async function listHeals(db: Queryable, q: HealQuery): Promise<Heal[]> {
  const p = params();
  const where = ['true'];
  if (q.state) where.push(`state = ${p.add(q.state)}`);
  if (q.policy) where.push(`policy = ${p.add(q.policy)}`);
  if (q.target) where.push(`target_key = ${p.add(q.target)}`);
  if (q.beforeId) where.push(`id < ${p.add(q.beforeId)}`);
  const { rows } = await db.query<HealRow>(
    `SELECT * FROM heals WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${p.add(q.limit)}`,
    p.values,
  );
  return rows.map(healFromRow);
}

export async function healAlerts(db: Queryable, id: string): Promise<HealAlert[]> {
  const { rows } = await db.query<HealAlertRow>(
    `SELECT fingerprint, starts_at, alertname, attached_at, resolved_at FROM heal_alerts
      WHERE heal_id = $1 ORDER BY attached_at, fingerprint COLLATE "C"`,
    [id],
  );
  return rows.map(healAlertFromRow);
}

export async function countOpenHeals(db: Queryable): Promise<OpenHealCounts> {
  const { rows } = await db.query<{ state: string; n: number }>(
    `SELECT state, count(*)::int AS n FROM heals
      WHERE state IN (${openStatesSql}) GROUP BY state`,
  );
  return openHealCountsFrom(rows);
}

export async function listAlerts(db: Queryable, q: AlertQuery): Promise<Array<StoredAlert & { id: number }>> {
  const p = params();
  const where = [`id > ${p.add(q.afterId ?? 0)}`];
  if (q.fingerprint) where.push(`fingerprint = ${p.add(q.fingerprint)}`);
  if (q.status) where.push(`status = ${p.add(q.status)}`);
  if (q.receivedSince) where.push(`received_at >= ${p.add(q.receivedSince)}`);
  const { rows } = await db.query<AlertRow>(
    `SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${p.add(q.limit)}`,
    p.values,
  );
  return rows.map(alertFromRow);
}

export async function knownAlerts(
  db: Queryable,
  alerts: ReadonlyArray<Pick<ReceivedAlert, 'fingerprint' | 'startsAt' | 'status'>>,
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const { rows } = await db.query<{
    fingerprint: string;
    starts_at: string;
    status: ReceivedAlert['status'];
  }>(
    `SELECT a.fingerprint, a.starts_at, a.status FROM alerts a
     JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(fingerprint, starts_at, status)
       ON a.fingerprint = k.fingerprint AND a.starts_at = k.starts_at AND a.status = k.status`,
    [alerts.map((a) => a.fingerprint), alerts.map((a) => a.startsAt), alerts.map((a) => a.status)],
  );
  return new Set(
    rows.map((r) => alertIdentity({ fingerprint: r.fingerprint, startsAt: r.starts_at, status: r.status })),
  );
}

export async function getSetting(db: Queryable, key: string): Promise<string | null> {
  const { rows } = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
  return rows[0]?.value ?? null;
}

export async function setSetting(
  db: Queryable,
  key: string,
  value: string | null,
  at: string,
): Promise<void> {
  if (value === null) await db.query('DELETE FROM settings WHERE key = $1', [key]);
  else
    await db.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, at],
    );
}
