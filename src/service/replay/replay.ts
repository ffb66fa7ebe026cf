import type { ActionRegistry } from '../../actions/registry.js';
import type { Clock } from '../../clock.js';
import type { HealRecord } from '../../domain/heal-record.js';
import type { PolicyTable } from '../../policy/table.js';
import type { Store } from '../../store/types.js';
import { compareReplay, policyCounts, type ReplayDifference } from './compare.js';
import { type RecordedOwners, recordedOwners } from './recorded-owners.js';
import { createSimulation, type ReplayDelivery, type SimulationSettings } from './simulate.js';
import { storeHistory } from './sources.js';
import { createTally, type ReplayHeal, type ReplayTotals, recordedHeals } from './tally.js';
import { createVirtualLedger } from './virtual-ledger.js';

/** What a backtest assumes where the history cannot tell; every report says so. */
export const replayAssumptions = [
  'every action succeeds when it runs, and every rollout completes at once: no request leaves salve',
  'nobody approves: a heal that waits for approval waits until it expires or its alerts resolve',
  'salve is not paused and no breaker is reset by hand during the window',
  'the autonomy guard reads the recorded heals (what really happened), not the replayed ones',
] as const;

/** Said too when a table resolves `ownerOf` targets. */
export const ownerOfAssumption =
  'ownerOf targets resolve through the owner chains salve recorded when it matched (heal.opened, heal.alerts_attached), never through a cluster; an object whose chain was never recorded is counted apart as unresolved, neither a heal nor a refusal; a match salve deferred and settled later opens at its delivery';

export type ReplayReport = ReplayTotals & {
  window: { since: string; until: string };
  source: 'store' | 'file';
  deliveries: number;
  alerts: number;
  assumptions: readonly string[];
  /** The heals the replayed table would open, the first `healsListed` of them. */
  heals: ReplayHeal[];
  healsListed: number;
  /** What it is compared with: the store's recorded heals, or (for a file) the table in force replayed. */
  baseline: { kind: 'recorded' | 'table in force'; heals: number; actions: number };
  difference: ReplayDifference | null;
};

export type ReplayDeps = {
  registry: ActionRegistry;
  clock: Clock;
  settings: SimulationSettings;
  /** The store whose history is replayed, or read for the autonomy guard and the counts before the window. */
  store?: Pick<Store, 'listAlerts' | 'healHistory' | 'queryAudit'>;
};

export type ReplayInput = {
  table: PolicyTable;
  /** The table in force: the baseline of a file's history. */
  current: PolicyTable;
  source: { kind: 'store'; sinceMs: number } | { kind: 'file'; deliveries: AsyncIterable<ReplayDelivery> };
  /** Heals listed in the report (the totals count them all). */
  listHeals?: number;
  /** Compare heal by heal with the baseline (keeps every heal in memory while it runs). */
  compare?: boolean;
};

/** How far before the window the guards look back: cooldowns, breaker windows, the hour of the ceiling, autonomy. */
function lookbackMs(tables: PolicyTable[]): number {
  let ms = 3_600_000;
  for (const p of tables.flatMap((t) => t.policies)) {
    const g = p.guards;
    ms = Math.max(ms, g.cooldownMs, g.maxPerTarget?.windowMs ?? 0, g.autonomy?.windowMs ?? 0);
  }
  return ms;
}

/** Peeks the first delivery of a stream and gives the stream back whole. */
async function peek<T>(items: AsyncIterable<T>): Promise<{ first: T | undefined; all: AsyncIterable<T> }> {
  const it = items[Symbol.asyncIterator]();
  const head = await it.next();
  const all = (async function* () {
    if (head.done) return;
    yield head.value;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  })();
  return { first: head.done ? undefined : head.value, all };
}

/**
 * A policy backtest: the recorded alerts through a candidate table in virtual time, with the live matching and
 * guards (src/service/replay/simulate.ts). Nothing is written and no request leaves salve.
 */
export async function replayPolicies(deps: ReplayDeps, input: ReplayInput): Promise<ReplayReport> {
  const now = deps.clock.now();
  const fromStore = input.source.kind === 'store';
  const since = fromStore ? new Date(now.getTime() - (input.source as { sinceMs: number }).sinceMs) : null;
  const stream =
    input.source.kind === 'store'
      ? storeHistory(deps.store!, since!.toISOString())
      : (input.source as { deliveries: AsyncIterable<ReplayDelivery> }).deliveries;
  const { first, all } = await peek(stream);
  const windowStart = since?.toISOString() ?? first?.receivedAt ?? now.toISOString();
  const compare = input.compare ?? true;

  const lookback = lookbackMs([input.table, input.current]);
  const lookFrom = new Date(Date.parse(windowStart) - lookback).toISOString();
  const recorded: HealRecord[] = deps.store ? await deps.store.healHistory({ since: lookFrom }) : [];
  const resolvesOwners = [input.table, input.current].some((t) =>
    [...t.index.byName.values()].some((c) => c.ownerOf !== null),
  );
  const owners: RecordedOwners | undefined =
    resolvesOwners && deps.store ? await recordedOwners(deps.store, lookFrom) : undefined;
  const simulation = (table: PolicyTable, keep: number) => {
    const ledger = createVirtualLedger(recorded, lookback);
    // What the recorded history counted before the window: cooldowns and breakers reach back into it.
    const before = recorded
      .flatMap((r) =>
        r.actions
          .filter((a) => !a.dryRun && !r.dryRun && a.status !== 'failed' && a.status !== 'dry_run')
          .map((a) => ({ ...a, r })),
      )
      .filter((a) => a.startedAt < windowStart)
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1));
    for (const a of before)
      ledger.take({ healId: a.r.id, policy: a.r.policy, targetKey: a.r.targetKey }, Date.parse(a.startedAt));
    const tally = createTally(keep);
    const sim = createSimulation({
      table,
      registry: deps.registry,
      settings: deps.settings,
      ledger,
      tally,
      ...(owners ? { owners } : {}),
    });
    return { sim, tally };
  };

  const keep = compare ? Number.POSITIVE_INFINITY : (input.listHeals ?? 1000);
  const candidate = simulation(input.table, keep);
  // A file has no recorded heals to compare with: the table in force, replayed beside it, is the baseline.
  const inForce = fromStore || !compare ? null : simulation(input.current, keep);
  let deliveries = 0;
  let alerts = 0;
  let last = windowStart;
  for await (const d of all) {
    deliveries += 1;
    alerts += d.alerts.length;
    last = d.receivedAt;
    await candidate.sim.deliver(d);
    await inForce?.sim.deliver(d);
  }
  const until = fromStore ? now.toISOString() : last;
  await candidate.sim.finish(Date.parse(until));
  await inForce?.sim.finish(Date.parse(until));

  const result = candidate.tally.result();
  const window = { since: windowStart, until };
  const baselineHeals = inForce ? inForce.tally.result().heals : recordedHeals(recorded, window);
  const baselineTotals = inForce ? inForce.tally.result().totals.policies : policyCounts(baselineHeals);
  const sum = (m: Record<string, { heals: number; actions: number }>, k: 'heals' | 'actions') =>
    Object.values(m).reduce((n, c) => n + c[k], 0);
  const listed = result.heals.slice(0, input.listHeals ?? result.heals.length);
  return {
    window,
    source: input.source.kind,
    deliveries,
    alerts,
    assumptions: resolvesOwners ? [...replayAssumptions, ownerOfAssumption] : replayAssumptions,
    ...result.totals,
    heals: listed,
    healsListed: listed.length,
    baseline: {
      kind: inForce ? 'table in force' : 'recorded',
      heals: sum(baselineTotals, 'heals'),
      actions: sum(baselineTotals, 'actions'),
    },
    difference: compare ? compareReplay({ heals: baselineHeals, policies: baselineTotals }, result) : null,
  };
}
