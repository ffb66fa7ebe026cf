import type { HealRecord } from '../domain/heal-record.js';
import { idFloor } from './ids.js';

// The heal history both stores read back for statistics: the same columns and the same rows on each.

export type HealHistoryQuery = {
  /** Heals opened at or after this time. */
  since: string;
  /** Only this policy's. */
  policy?: string;
};

export type HistoryHealRow = {
  id: string;
  policy: string;
  target_key: string;
  state: HealRecord['state'];
  reason: string | null;
  step: number;
  steps: string;
  dry_run: boolean | number;
  approved_by: string | null;
  opened_at: string;
  closed_at: string | null;
};

export type HistoryActionRow = {
  heal_id: string;
  step: number;
  action: string;
  status: string;
  started_at: string;
  dry_run: boolean | number;
};

export const historyHealColumns =
  'id, policy, target_key, state, reason, step, steps, dry_run, approved_by, opened_at, closed_at';
export const historyActionColumns = 'a.heal_id, a.step, a.action, a.status, a.started_at, a.dry_run';

/** Ids sort by opening time: the primary key bounds the scan to the window, no index of its own needed. */
export const historyFloor = (q: HealHistoryQuery) => idFloor('heal', new Date(q.since));

const truthy = (v: boolean | number) => v === true || v === 1;

export function historyFromRows(heals: HistoryHealRow[], actions: HistoryActionRow[]): HealRecord[] {
  const byHeal = new Map<string, HealRecord['actions']>();
  for (const a of actions) {
    const list = byHeal.get(a.heal_id) ?? [];
    list.push({
      step: a.step,
      action: a.action,
      status: a.status,
      startedAt: a.started_at,
      dryRun: truthy(a.dry_run),
    });
    byHeal.set(a.heal_id, list);
  }
  return heals.map((h) => ({
    id: h.id,
    policy: h.policy,
    targetKey: h.target_key,
    state: h.state,
    reason: h.reason,
    step: h.step,
    steps: (JSON.parse(h.steps) as Array<{ action: string }>).map((s) => s.action),
    dryRun: truthy(h.dry_run),
    approvedBy: h.approved_by,
    openedAt: h.opened_at,
    closedAt: h.closed_at,
    actions: (byHeal.get(h.id) ?? []).sort((a, b) => a.step - b.step),
  }));
}
