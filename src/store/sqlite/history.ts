import type { Database } from 'better-sqlite3';
import type { HealRecord } from '../../domain/heal-record.js';
import {
  type HealHistoryQuery,
  type HistoryActionRow,
  type HistoryHealRow,
  historyActionColumns,
  historyFloor,
  historyFromRows,
  historyHealColumns,
} from '../history.js';

export function createSqliteHistory(db: Database) {
  const where = (policy: boolean) =>
    `h.id >= @floor AND h.opened_at >= @since${policy ? ' AND h.policy = @policy' : ''}`;
  const statements = [false, true].map((policy) => ({
    heals: db.prepare(`SELECT ${historyHealColumns} FROM heals h WHERE ${where(policy)} ORDER BY h.id`),
    actions: db.prepare(
      `SELECT ${historyActionColumns} FROM actions a JOIN heals h ON h.id = a.heal_id WHERE ${where(policy)}`,
    ),
  }));

  return {
    /** One read transaction: the heals and their actions as of the same moment. */
    healHistory: db.transaction((q: HealHistoryQuery): HealRecord[] => {
      const s = statements[q.policy === undefined ? 0 : 1]!;
      const params = { floor: historyFloor(q), since: q.since, ...(q.policy ? { policy: q.policy } : {}) };
      return historyFromRows(
        s.heals.all(params) as HistoryHealRow[],
        s.actions.all(params) as HistoryActionRow[],
      );
    }),
  };
}
