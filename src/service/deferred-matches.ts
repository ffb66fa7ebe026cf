import type { ActionRegistry } from '../actions/registry.js';
import type { Clock } from '../clock.js';
import { backoffDelay } from '../domain/backoff.js';
import type { OwnerCache } from '../kube/owner-cache.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { PolicyTable } from '../policy/table.js';
import { createPollLoop, type PollLoop } from '../runtime/poll-loop.js';
import type { DeferredMatch, DeferredSettlement, Store } from '../store/types.js';
import { evaluateWithOwners } from './owner-resolution.js';

// Deferred matches: alerts whose ownerOf target the Kubernetes API could not resolve in time when they arrived.
// They are committed with their alert (acknowledged, nothing lost) and tried again here with back-off, until the
// target resolves (the heal opens or the alert attaches, as ingest would have done), is refused (unresolved, another
// kind, outside allow), or the match is dropped: its alert resolved, its policy is gone or no longer matches, or
// the API stayed silent past `giveUpMs` (refused `target_unresolved`, audited). Settling is exactly once across
// replicas: the store removes the row in the transaction that writes the outcome.

export type DeferredMatchSettings = {
  /** How often to look for due matches when nothing pokes. */
  pollMs: number;
  /** Back-off between tries (the one backoff rule): doubles from `retryMinMs` up to `retryMaxMs`, with jitter. */
  retryMinMs: number;
  retryMaxMs: number;
  /** After this long unresolved, the match is refused: a heal for an incident that old would act too late. */
  giveUpMs: number;
  /** Matches tried per turn. */
  batch: number;
};

export const defaultDeferredMatchSettings: DeferredMatchSettings = {
  pollMs: 5_000,
  retryMinMs: 5_000,
  retryMaxMs: 60_000,
  giveUpMs: 60 * 60_000,
  batch: 50,
};

export type DeferredMatchDeps = {
  store: Store;
  owners: OwnerCache;
  policies: { current(): PolicyTable };
  registry: ActionRegistry;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  /** A heal opened or an alert attached: the engine has work. */
  onSettled(): void;
  settings?: Partial<DeferredMatchSettings>;
  /** The backoff's jitter (tests pin it). */
  random?: () => number;
};

/** Replicas trying the same matches spread out. */
const RETRY_JITTER = 0.2;

type Settled = DeferredSettlement['outcome'];

/** What a deferred match comes to now; null: still unresolvable, try again later. */
async function decide(
  m: DeferredMatch,
  deps: DeferredMatchDeps,
  ageMs: number,
  giveUpMs: number,
): Promise<Settled | { retry: string }> {
  if (m.alertResolved && m.alert.status === 'firing') {
    return dropped(m, 'alert_resolved', 'the alert resolved before its target could be resolved');
  }
  const table = deps.policies.current();
  const [outcomes] = await evaluateWithOwners(
    [m],
    (match, resolve) => {
      const o = evaluatePolicy(table, match.policy, match.alert, deps.registry, resolve);
      return typeof o === 'string' ? [] : [o];
    },
    deps.owners,
  );
  const outcome = outcomes?.[0];
  if (outcome === undefined) {
    const why = table.index.byName.has(m.policy) ? 'no_longer_matches' : 'policy_removed';
    return dropped(
      m,
      why,
      `policy ${m.policy} ${why === 'policy_removed' ? 'is gone' : 'no longer matches the alert'}`,
    );
  }
  if (outcome.outcome !== 'deferred') return outcome;
  if (ageMs < giveUpMs) return { retry: outcome.detail };
  return {
    outcome: 'refused',
    policy: m.policy,
    reason: 'target_unresolved',
    detail: `gave up after ${Math.round(ageMs / 60_000)} min and ${m.attempts + 1} tries: ${outcome.detail}`,
  };
}

function dropped(m: DeferredMatch, reason: string, detail: string): Settled {
  return { outcome: 'dropped', policy: m.policy, reason, detail };
}

export function createDeferredMatches(deps: DeferredMatchDeps): PollLoop {
  const settings = { ...defaultDeferredMatchSettings, ...deps.settings };

  async function turn(): Promise<boolean> {
    const now = deps.clock.now();
    const due = await deps.store.dueDeferredMatches(now.toISOString(), settings.batch);
    let opened = false;
    for (const m of due) {
      const ageMs = now.getTime() - new Date(m.createdAt).getTime();
      const decision = await decide(m, deps, ageMs, settings.giveUpMs);
      if ('retry' in decision) {
        const backoff = backoffDelay(
          m.attempts,
          { baseMs: settings.retryMinMs, maxMs: settings.retryMaxMs, jitter: RETRY_JITTER },
          deps.random,
        );
        await deps.store.retryDeferredMatch(
          m.id,
          new Date(now.getTime() + backoff).toISOString(),
          decision.retry,
        );
        continue;
      }
      const result = await deps.store.settleDeferredMatch({
        id: m.id,
        at: now.toISOString(),
        outcome: decision,
      });
      if (result === null) continue;
      const outcome = decision.outcome === 'match' ? 'resolved' : decision.outcome;
      deps.log.info(
        { deferred: m.id, policy: m.policy, subject: m.subject, outcome },
        'deferred match settled',
      );
      if (decision.outcome === 'refused')
        deps.metrics.matchRefusals.inc({ policy: m.policy, reason: decision.reason });
      for (const heal of result.opened) deps.metrics.healsOpened.inc({ policy: heal.policy });
      if (result.opened.length > 0 || result.attached.length > 0) opened = true;
    }
    if (opened) deps.onSettled();
    return due.length === settings.batch;
  }

  return createPollLoop({ pollMs: settings.pollMs, log: deps.log, what: 'deferred matches', turn });
}
