import type { ActionRegistry } from '../../actions/registry.js';
import type { ReceivedAlert } from '../../alerts/schema.js';
import type { Clock } from '../../clock.js';
import { type Heal, type HealAlert, isOpenStage } from '../../domain/heal.js';
import { apply, inStage } from '../../domain/heal-apply.js';
import type { HealEvent } from '../../domain/heal-events.js';
import { fullLimit } from '../../domain/ledger.js';
import type { EngineSettings } from '../../engine/context.js';
import type { GuardDeps } from '../../engine/guard-reads.js';
import { actionLimits, limitRefusal } from '../../engine/guards.js';
import { decideApprovalWait, guardStage } from '../../engine/phase-guards.js';
import { decideResolve } from '../../engine/phase-verify.js';
import { refusalEvent } from '../../engine/reserve.js';
import { actionRecord, isDryRun } from '../../engine/step.js';
import { evaluateAlert } from '../../policy/evaluate.js';
import type { PolicyTable } from '../../policy/table.js';
import type { Policy } from '../../policy/types.js';
import { createTimeQueue } from './heal-queue.js';
import { type Match, pendingHeal, type ReplayDelivery } from './pending-heal.js';
import type { RecordedOwners } from './recorded-owners.js';
import type { ReplayTally } from './tally.js';
import type { VirtualLedger } from './virtual-ledger.js';

export type { ReplayDelivery };

export type SimulationSettings = Pick<
  EngineSettings,
  'maxActionsPerHour' | 'approvalTimeoutMs' | 'defaultResolvedMs' | 'pollMs' | 'dryRun'
>;

type SimHeal = {
  heal: Heal;
  alerts: HealAlert[];
  /** The time it is queued for; a queued entry for another time is stale. */
  wakeAt: number;
  /** When it began to wait for a decision (what a page says). */
  waitingSince: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();
const alertKey = (a: { fingerprint: string; startsAt: string }) => `${a.fingerprint}\u0000${a.startsAt}`;

/**
 * The heal engine in virtual time, for a policy backtest. Matching is the live `evaluateAlert`; the guard stage
 * is the live `guardStage` (every guard, in order) reading a virtual ledger; every move is the live state
 * machine's `apply`, and the waits are the live `decideResolve` and `decideApprovalWait`. What it cannot know,
 * it assumes and says so: actions succeed as soon as they run (no request leaves salve), rollouts complete at
 * once, nobody approves (a heal waiting for approval waits until it expires or its alerts resolve, paging once
 * past its policy's `pageAfter`). `ownerOf` targets resolve through the chains salve recorded (`owners`); without
 * one the match stays deferred, and is counted apart.
 */
export function createSimulation(deps: {
  table: PolicyTable;
  registry: ActionRegistry;
  settings: SimulationSettings;
  ledger: VirtualLedger;
  tally: ReplayTally;
  owners?: RecordedOwners;
}) {
  const { table, registry, settings, ledger, tally, owners } = deps;
  let now = 0;
  const clock: Clock = {
    now: () => new Date(now),
    sleep: () => Promise.reject(new Error('a backtest never sleeps: its time is virtual')),
  };
  const guardDeps: GuardDeps = {
    clock,
    registry,
    policies: { current: () => table },
    settings,
    reads: ledger.reads,
  };
  const queue = createTimeQueue<SimHeal>();
  const openByPair = new Map<string, SimHeal>();
  const waitingOn = new Map<string, Set<SimHeal>>();
  const targetLocks = new Map<string, SimHeal>();
  const lockWaiters = new Map<string, SimHeal[]>();
  let seq = 0;

  const policyOf = (heal: Heal): Policy | undefined => table.byName.get(heal.policy);
  const schedule = (sim: SimHeal, at: number) => {
    sim.wakeAt = at;
    queue.push(at, sim);
  };

  function releaseLock(sim: SimHeal): void {
    const key = sim.heal.targetKey;
    if (targetLocks.get(key) !== sim) return;
    targetLocks.delete(key);
    // Heals that waited for the target look again now (the live engine polls it).
    for (const w of lockWaiters.get(key)?.splice(0) ?? []) schedule(w, now);
  }

  function close(sim: SimHeal): void {
    releaseLock(sim);
    openByPair.delete(`${sim.heal.policy}\u0000${sim.heal.targetKey}`);
    for (const a of sim.alerts) waitingOn.get(alertKey(a))?.delete(sim);
    tally.closed(sim.heal);
  }

  /** One move of the live machine; a heal leaving its step hands the target back. */
  function move(sim: SimHeal, event: HealEvent): void {
    const from = sim.heal.stage;
    sim.heal = apply(sim.heal as never, event as never).heal;
    if (from === 'resolve' && !inStage(sim.heal, 'resolve')) releaseLock(sim);
    if (!isOpenStage(sim.heal.stage)) close(sim);
  }

  const allResolved = (sim: SimHeal) =>
    sim.alerts.length > 0 && sim.alerts.every((a) => a.resolvedAt !== null);

  async function guards(sim: SimHeal): Promise<void> {
    const { heal } = sim;
    const policy = policyOf(heal);
    const decision = await guardStage(heal, policy, guardDeps, {
      at: iso(now),
      alertsResolved: allResolved(sim),
      dryRun: isDryRun(heal, policy, settings),
      retryAt: iso(now + settings.pollMs),
      expiresAt: iso(now + settings.approvalTimeoutMs),
      pageAt: policy?.guards.pageAfterMs ? iso(now + policy.guards.pageAfterMs) : null,
      wouldDo: [],
    });
    if ('wait' in decision) return schedule(sim, Date.parse(decision.wait ?? iso(now + settings.pollMs)));
    const e = decision.event;
    if (e.type === 'guard_refused' || e.type === 'guard_escalated') tally.refused(heal, e.refusal);
    if (e.type === 'approval_required') tally.awaitsApproval(heal, e.request);
    if (e.type === 'guards_passed' && e.reserve) ledger.take(e.reserve.action, now);
    move(sim, e);
    if (e.type === 'approval_required') {
      // Woken at its page time, if any, then at its expiry (decideApprovalWait).
      sim.waitingSince = e.at;
      schedule(sim, Date.parse(sim.heal.nextRunAt ?? e.expiresAt));
    } else if (e.type === 'guards_passed') await act(sim);
  }

  async function act(sim: SimHeal): Promise<void> {
    const { heal } = sim;
    const policy = policyOf(heal);
    const step = heal.steps[heal.step]!;
    const action = registry.get(step.action);
    const parsed = action?.params.safeParse(step.params);
    const at = iso(now);
    if (!action || !parsed?.success) return move(sim, { type: 'step_invalid', at, why: 'invalid step' });
    const dryRun = isDryRun(heal, policy, settings);
    const resolvedMs = step.verify.resolvedMs ?? settings.defaultResolvedMs;
    const record = actionRecord(heal, dryRun);
    if (dryRun) {
      tally.acted(heal, true);
      move(sim, { type: 'step_dry_run', at, record, wouldDo: '', deadlineAt: iso(now + resolvedMs) });
      return resolve(sim);
    }
    const holder = targetLocks.get(heal.targetKey);
    if (holder && holder !== sim) {
      lockWaiters.set(heal.targetKey, [...(lockWaiters.get(heal.targetKey) ?? []), sim]);
      return;
    }
    targetLocks.set(heal.targetKey, sim);
    const limits = await actionLimits(heal, policy, guardDeps);
    // The first step's slot came with the guards; a later step takes its own, against the same limits.
    if (heal.step > 0) {
      const hit = fullLimit(limits, ledger.counts(record, limits));
      if (hit) {
        const refusal = limitRefusal(heal, policy, hit, guardDeps);
        tally.refused(heal, refusal);
        return move(sim, refusalEvent(refusal, [], at, dryRun));
      }
      ledger.take(record, now);
    }
    tally.acted(heal, false);
    move(sim, { type: 'step_started', at, record, limits, params: parsed.data });
    const result = { status: 'changed' as const, detail: 'replayed', durationMs: 0 };
    move(sim, { type: 'step_finished', at, result, deadlineAt: iso(now + resolvedMs), nextRunAt: at });
    await resolve(sim);
  }

  async function resolve(sim: SimHeal): Promise<void> {
    const { heal } = sim;
    const firing = sim.alerts.filter((a) => a.resolvedAt === null).length;
    const decision = decideResolve(heal, {
      at: iso(now),
      dryRun: isDryRun(heal, policyOf(heal), settings),
      alerts: sim.alerts,
      stillFiring: firing,
      source: 'replay',
      pollAt: null,
    });
    if ('wait' in decision) return schedule(sim, Date.parse(decision.wait!));
    move(sim, decision.event);
    if (inStage(sim.heal, 'action')) await act(sim);
  }

  async function advance(sim: SimHeal): Promise<void> {
    const { heal } = sim;
    if (inStage(heal, 'guards')) return guards(sim);
    if (inStage(heal, 'action')) return act(sim);
    if (inStage(heal, 'resolve')) return resolve(sim);
    if (inStage(heal, 'approval')) {
      const decision = decideApprovalWait(heal, {
        at: iso(now),
        alertsResolved: allResolved(sim),
        waitingSince: sim.waitingSince ?? heal.updatedAt,
        wouldDo: [],
      });
      if ('wait' in decision) return schedule(sim, Date.parse(decision.wait!));
      if (decision.event.type === 'approval_overdue') tally.paged(heal);
      move(sim, decision.event);
      if (inStage(sim.heal, 'approval'))
        schedule(sim, Date.parse(sim.heal.nextRunAt ?? sim.heal.deadlineAt!));
    }
  }

  /** Advances every heal due before `until` (or at it, with `inclusive`), in time order. */
  async function runUntil(until: number, inclusive: boolean): Promise<void> {
    for (;;) {
      const next = queue.peekAt();
      if (next === undefined || next > until || (!inclusive && next === until)) break;
      const { at, item } = queue.pop()!;
      if (item.wakeAt !== at || !openByPair.has(`${item.heal.policy}\u0000${item.heal.targetKey}`)) continue;
      now = Math.max(now, at);
      await advance(item);
    }
    now = Math.max(now, until);
  }

  function open(d: ReplayDelivery, alert: ReceivedAlert, m: Match, dryRun: boolean): SimHeal {
    const heal = pendingHeal(`replay_${String(seq++).padStart(8, '0')}`, d, alert, m, dryRun);
    const sim: SimHeal = { heal, alerts: [], wakeAt: now, waitingSince: null };
    openByPair.set(`${m.policy}\u0000${m.targetKey}`, sim);
    tally.opened(heal);
    schedule(sim, now);
    return sim;
  }

  /** One delivery, as the store ingests it: resolutions wake their heals; matches open or attach. */
  async function deliver(d: ReplayDelivery): Promise<void> {
    const at = Date.parse(d.receivedAt);
    await runUntil(at, false);
    for (const alert of d.alerts) {
      if (alert.status === 'resolved') {
        for (const sim of waitingOn.get(alertKey(alert)) ?? []) {
          for (const a of sim.alerts) {
            if (alertKey(a) === alertKey(alert) && a.resolvedAt === null) a.resolvedAt = d.receivedAt;
          }
          schedule(sim, now);
        }
        waitingOn.delete(alertKey(alert));
      }
      for (const o of evaluateAlert(table, alert, registry, owners?.resolverAt(d.receivedAt))) {
        if (o.outcome === 'refused') {
          tally.matchRefused(o.reason);
          continue;
        }
        if (o.outcome === 'deferred') {
          tally.unresolved(o.policy, o.subject);
          continue;
        }
        const sim = openByPair.get(`${o.policy}\u0000${o.targetKey}`) ?? open(d, alert, o, settings.dryRun);
        if (sim.alerts.some((a) => alertKey(a) === alertKey(alert))) continue;
        const attached = {
          fingerprint: alert.fingerprint,
          startsAt: alert.startsAt,
          alertname: alert.labels.alertname ?? '',
          attachedAt: d.receivedAt,
          resolvedAt: null,
        };
        sim.alerts.push(attached);
        const waiting = waitingOn.get(alertKey(alert)) ?? new Set();
        waiting.add(sim);
        waitingOn.set(alertKey(alert), waiting);
      }
    }
    await runUntil(at, true);
  }

  return {
    deliver,
    /** Runs to the end of the window; heals still open there are reported open. */
    async finish(until: number): Promise<void> {
      await runUntil(until, true);
      for (const sim of openByPair.values()) tally.stillOpen(sim.heal);
    },
  };
}
