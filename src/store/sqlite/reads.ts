import type { Database } from 'better-sqlite3';
import { alertIdentity } from '../../alerts/identity.js';
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

export function createSqliteReads(db: Database) {
  const getHeal = db.prepare('SELECT * FROM heals WHERE id = ?');
  const healAlerts = db.prepare(
    `SELECT fingerprint, starts_at, alertname, attached_at, resolved_at FROM heal_alerts
     WHERE heal_id = ? ORDER BY attached_at, fingerprint`,
  );
  const countOpen = db.prepare(
    `SELECT state, count(*) AS n FROM heals
      WHERE state IN (${openStatesSql}) GROUP BY state`,
  );
  const getSetting = db.prepare('SELECT value FROM settings WHERE key = ?');
  const alertExists = db.prepare(
    'SELECT 1 FROM alerts WHERE fingerprint = ? AND starts_at = ? AND status = ?',
  );
  const alertsStarted = db.prepare('SELECT * FROM alerts WHERE starts_at = ? AND fingerprint = ?');

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
      return (healAlerts.all(id) as HealAlertRow[]).map(healAlertFromRow);
    },
    countOpenHeals(): OpenHealCounts {
      return openHealCountsFrom(countOpen.all() as Array<{ state: string; n: number }>);
    },
    listAlerts(q: AlertQuery): Array<StoredAlert & { id: number }> {
      const where: string[] = ['id > @afterId'];
      if (q.fingerprint) where.push('fingerprint = @fingerprint');
      if (q.status) where.push('status = @status');
      if (q.receivedSince) where.push('received_at >= @receivedSince');
      if (q.startsAt) where.push('starts_at = @startsAt');
      if (q.startedSince) where.push('starts_at >= @startedSince');
      if (q.startedUntil) where.push('starts_at < @startedUntil');
      const rows = db
        .prepare(`SELECT * FROM alerts WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`)
        .all({ ...q, afterId: q.afterId ?? 0 }) as AlertRow[];
      return rows.map(alertFromRow);
    },
    alertsByStart(alerts: readonly AlertStart[]): Array<StoredAlert & { id: number }> {
      const seen = new Set<string>();
      const rows: AlertRow[] = [];
      for (const a of alerts) {
        const key = `${a.fingerprint}/${a.startsAt}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(...(alertsStarted.all(a.startsAt, a.fingerprint) as AlertRow[]));
      }
      return rows.sort((x, y) => Number(x.id) - Number(y.id)).map(alertFromRow);
    },
    knownAlerts(
      alerts: ReadonlyArray<Pick<StoredAlert, 'fingerprint' | 'startsAt' | 'status'>>,
    ): Set<string> {
      const known = new Set<string>();
      for (const a of alerts) {
        if (alertExists.get(a.fingerprint, a.startsAt, a.status)) known.add(alertIdentity(a));
      }
      return known;
    },
    getSetting(key: string): string | null {
      return (getSetting.get(key) as { value: string } | undefined)?.value ?? null;
    },
  };
}
