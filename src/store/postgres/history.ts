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
import type { Queryable } from './db.js';

/** The heals opened since a time, with their action rows; read in one statement so both are of one moment. */
export async function healHistory(db: Queryable, q: HealHistoryQuery): Promise<HealRecord[]> {
  const values: unknown[] = [historyFloor(q), q.since];
  let where = 'h.id >= $1 AND h.opened_at >= $2';
  if (q.policy !== undefined) {
    values.push(q.policy);
    where += ' AND h.policy = $3';
  }
  const { rows } = await db.query<{ heals: HistoryHealRow[] | null; actions: HistoryActionRow[] | null }>(
    `WITH h AS (SELECT ${historyHealColumns} FROM heals h WHERE ${where})
     SELECT (SELECT json_agg(h ORDER BY h.id) FROM h) AS heals,
            (SELECT json_agg(x) FROM (SELECT ${historyActionColumns} FROM actions a JOIN h ON h.id = a.heal_id) x)
              AS actions`,
    values,
  );
  return historyFromRows(rows[0]?.heals ?? [], rows[0]?.actions ?? []);
}
