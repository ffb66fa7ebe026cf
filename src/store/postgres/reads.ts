import { alertIdentity } from '../../alerts/identity.js';
import type { ReceivedAlert } from '../../alerts/schema.js';
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
import type { AlertQuery, AlertStart, HealQuery, OpenHealCounts, StoredAlert } from '../types.js';
import { params, prepared, type Queryable } from './db.js';

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
  if (q.startsAt) where.push(`starts_at = ${p.add(q.startsAt)}`);
  if (q.startedSince) where.push(`starts_at >= ${p.add(q.startedSince)}`);
  if (q.startedUntil) where.push(`starts_at < ${p.add(q.startedUntil)}`);
  const { rows } = await db.query<AlertRow>(
    `SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id LIMIT ${p.add(q.limit)}`,
    p.values,
  );
  return rows.map(alertFromRow);
}

// One lookup in the identity index (start time first) per alert start, every status it has; planned once per
// connection, as a LATERAL lookup for the reason given for knownAlerts below. OFFSET 0 keeps the planner from
// pulling the lookup up into a join, which on a fresh database's empty table it plans as a scan of alerts.
export const alertsByStartText = `SELECT a.*
     FROM (SELECT DISTINCT fingerprint, starts_at FROM unnest($1::text[], $2::text[]) AS k(fingerprint, starts_at)) k
    CROSS JOIN LATERAL (SELECT id, fingerprint, starts_at, status, ends_at, labels, annotations, generator_url,
                               delivery_id, received_at
                          FROM alerts WHERE starts_at = k.starts_at AND fingerprint = k.fingerprint
                        OFFSET 0) a
    ORDER BY a.id`;
const alertsByStartSql = prepared(alertsByStartText);

export async function alertsByStart(
  db: Queryable,
  alerts: readonly AlertStart[],
): Promise<Array<StoredAlert & { id: number }>> {
  if (alerts.length === 0) return [];
  const { rows } = await db.query<AlertRow>(
    alertsByStartSql([alerts.map((a) => a.fingerprint), alerts.map((a) => a.startsAt)]),
  );
  return rows.map(alertFromRow);
}

// One lookup in the unique index per alert, planned once per connection; it answers the alerts' places in the
// list (integers), not their text. Written as a LATERAL lookup, not EXISTS: the plan is cached for the life of the
// connection, and the semi-join a fresh database's empty table gets planned with would scan the whole table on
// every call once it has grown (the per-alert index lookup is the only plan this form allows).
export const knownAlertsText = `SELECT k.n::int AS n
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(fingerprint, starts_at, status, n)
    CROSS JOIN LATERAL (SELECT 1 FROM alerts a
                         WHERE a.fingerprint = k.fingerprint AND a.starts_at = k.starts_at AND a.status = k.status
                         LIMIT 1) AS found`;
const knownAlertsSql = prepared(knownAlertsText);

export async function knownAlerts(
  db: Queryable,
  alerts: ReadonlyArray<Pick<ReceivedAlert, 'fingerprint' | 'startsAt' | 'status'>>,
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const { rows } = await db.query<{ n: number }>(
    knownAlertsSql([
      alerts.map((a) => a.fingerprint),
      alerts.map((a) => a.startsAt),
      alerts.map((a) => a.status),
    ]),
  );
  return new Set(rows.map((r) => alertIdentity(alerts[r.n - 1]!)));
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
