import { remitOf } from '../policy/remit.js';
import type { Policy } from '../policy/types.js';
import type { Heal } from '../store/types.js';
import { breakerResetKey, type EngineDeps, pauseKey } from './context.js';

/** Safety rails as ordered stages: the first that does not pass decides. */
export const guardOrder = ['paused', 'allowed', 'cooldown', 'rate_limit', 'approval'] as const;
export type GuardName = (typeof guardOrder)[number];

export type GuardDecision =
  | { guard: GuardName; verdict: 'pass'; detail: string }
  /** Not now: look again later (pause). */
  | { guard: GuardName; verdict: 'hold'; detail: string }
  /** Never for this heal. `escalate`: a human must know (the heal-loop breaker). */
  | { guard: GuardName; verdict: 'refuse'; reason: string; detail: string; until?: string; escalate: boolean }
  | { guard: GuardName; verdict: 'await_approval'; detail: string };

type GuardFn = (heal: Heal, policy: Policy | undefined, deps: EngineDeps) => Promise<GuardDecision>;

const pass = (guard: GuardName, detail: string): GuardDecision => ({ guard, verdict: 'pass', detail });

const guards: Record<GuardName, GuardFn> = {
  async paused(_heal, _policy, deps) {
    const paused = await deps.store.getSetting(pauseKey);
    return paused
      ? { guard: 'paused', verdict: 'hold', detail: 'salve is paused: nothing is acted on' }
      : pass('paused', 'not paused');
  },

  async allowed(heal, policy, deps) {
    // The table may have changed since the heal opened: the policy and `allow` in force now are what count.
    const compiled = policy ? deps.policies.current().index.byName.get(policy.name) : undefined;
    if (!compiled) {
      return {
        guard: 'allowed',
        verdict: 'refuse',
        reason: 'policy_removed',
        detail: `policy ${heal.policy} is no longer in the table`,
        escalate: false,
      };
    }
    // Every designator, not only the target: a step's namespace, model or DAG is checked as the target is.
    const remit = remitOf(compiled, heal.target, heal.steps, deps.registry);
    if (!remit.ok) {
      return {
        guard: 'allowed',
        verdict: 'refuse',
        reason: 'not_allowed',
        detail: remit.detail,
        escalate: false,
      };
    }
    return pass('allowed', remit.bounds.map((b) => `${b.field} ${b.value} (${b.bound})`).join('; '));
  },

  async cooldown(heal, policy, deps) {
    if (heal.trigger.kind === 'manual' && heal.trigger.force)
      return pass('cooldown', 'skipped: forced by an operator');
    const last = await deps.store.lastActionAt(heal.policy, heal.targetKey);
    const cooldownMs = policy!.guards.cooldownMs;
    if (last && cooldownMs > 0) {
      const until = new Date(new Date(last).getTime() + cooldownMs);
      if (until > deps.clock.now()) {
        return {
          guard: 'cooldown',
          verdict: 'refuse',
          reason: 'cooldown',
          detail: `policy ${heal.policy} acted on ${heal.targetKey} at ${last}; cooling down until ${until.toISOString()}`,
          until: until.toISOString(),
          escalate: false,
        };
      }
    }
    return pass('cooldown', last ? `last action at ${last}` : 'no earlier action');
  },

  async rate_limit(heal, policy, deps) {
    const now = deps.clock.now();
    const limit = policy!.guards.maxPerTarget;
    if (limit) {
      const windowStart = new Date(now.getTime() - limit.windowMs).toISOString();
      const reset = await deps.store.getSetting(breakerResetKey(heal.targetKey));
      const since = reset && reset > windowStart ? reset : windowStart;
      // Every policy's actions on this target count: two policies must not take turns forever.
      const count = await deps.store.countActions({ targetKey: heal.targetKey, since, excludeDryRun: true });
      if (count >= limit.count) {
        return {
          guard: 'rate_limit',
          verdict: 'refuse',
          reason: 'loop_breaker',
          detail: `${heal.targetKey} was acted on ${count} times since ${since} (limit ${limit.count}): heal loop broken, a human must look`,
          escalate: true,
        };
      }
    }
    const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
    const global = await deps.store.countActions({ since: hourAgo, excludeDryRun: true });
    if (global >= deps.settings.maxActionsPerHour) {
      return {
        guard: 'rate_limit',
        verdict: 'refuse',
        reason: 'global_rate_limit',
        detail: `${global} actions in the last hour reached the global ceiling of ${deps.settings.maxActionsPerHour}`,
        escalate: true,
      };
    }
    return pass('rate_limit', 'within limits');
  },

  async approval(heal, policy) {
    if (!policy!.guards.approval) return pass('approval', 'not required');
    return {
      guard: 'approval',
      verdict: 'await_approval',
      detail: `policy ${heal.policy} requires an operator's approval`,
    };
  },
};

/** Runs the guards in order; returns every decision up to and including the first that is not a pass. */
export async function runGuards(
  heal: Heal,
  policy: Policy | undefined,
  deps: EngineDeps,
): Promise<GuardDecision[]> {
  const decisions: GuardDecision[] = [];
  for (const name of guardOrder) {
    const decision = await guards[name](heal, policy, deps);
    decisions.push(decision);
    if (decision.verdict !== 'pass') break;
  }
  return decisions;
}
