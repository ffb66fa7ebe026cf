import { assessAutonomy } from '../domain/autonomy.js';
import { type GuardDecision, type GuardName, type GuardRefusal, guardOrder } from '../domain/guard.js';
import type { Heal } from '../domain/heal.js';
import type { ActionLimits, LimitHit } from '../domain/ledger.js';
import { remitOf } from '../policy/remit.js';
import type { Policy } from '../policy/types.js';
import type { GuardDeps } from './guard-reads.js';
import { type GuardTiming, spanNow } from './trace.js';

type GuardFn = (heal: Heal, policy: Policy | undefined, deps: GuardDeps) => Promise<GuardDecision>;

const pass = (guard: GuardName, detail: string): GuardDecision => ({ guard, verdict: 'pass', detail });

const hourMs = 3_600_000;
const isoBefore = (deps: Pick<GuardDeps, 'clock'>, ms: number) =>
  new Date(deps.clock.now().getTime() - ms).toISOString();
const forced = (heal: Heal) => heal.trigger.kind === 'manual' && heal.trigger.force;

/** Start of the heal-loop breaker's window: its rate window, or an operator's reset within it. */
async function breakerSince(heal: Heal, windowMs: number, deps: GuardDeps): Promise<string> {
  const windowStart = isoBefore(deps, windowMs);
  const reset = await deps.reads.breakerResetAt(heal.targetKey);
  return reset && reset > windowStart ? reset : windowStart;
}

/** The refusal each counted limit gives when it is full: from the guards' reads or from a failed reservation. */
export function limitRefusal(
  heal: Heal,
  policy: Policy | undefined,
  hit: LimitHit,
  deps: Pick<GuardDeps, 'settings'>,
): GuardRefusal {
  switch (hit.limit) {
    case 'cooldown': {
      const until = new Date(new Date(hit.lastAt).getTime() + (policy?.guards.cooldownMs ?? 0)).toISOString();
      return {
        guard: 'cooldown',
        verdict: 'refuse',
        reason: 'cooldown',
        detail: `policy ${heal.policy} acted on ${heal.targetKey} at ${hit.lastAt}; cooling down until ${until}`,
        until,
        escalate: false,
      };
    }
    case 'target':
      return {
        guard: 'rate_limit',
        verdict: 'refuse',
        reason: 'loop_breaker',
        detail: `${heal.targetKey} was acted on ${hit.count} times since ${hit.since} (limit ${hit.max}): heal loop broken, a human must look`,
        escalate: true,
      };
    case 'global':
      return {
        guard: 'rate_limit',
        verdict: 'refuse',
        reason: 'global_rate_limit',
        detail: `${hit.count} actions in the last hour reached the global ceiling of ${deps.settings.maxActionsPerHour}`,
        escalate: true,
      };
  }
}

/**
 * The counted limits the heal's next action must fit in. The guards read them to decide; the move that starts
 * the action reserves its slot against them atomically in the store, so concurrent heals cannot overshoot.
 */
export async function actionLimits(
  heal: Heal,
  policy: Policy | undefined,
  deps: GuardDeps,
): Promise<ActionLimits> {
  const limits: ActionLimits = {
    global: { since: isoBefore(deps, hourMs), max: deps.settings.maxActionsPerHour },
  };
  const perTarget = policy?.guards.maxPerTarget;
  if (perTarget) {
    limits.target = { since: await breakerSince(heal, perTarget.windowMs, deps), max: perTarget.count };
  }
  const cooldownMs = policy?.guards.cooldownMs ?? 0;
  if (cooldownMs > 0 && !forced(heal)) limits.cooldownSince = isoBefore(deps, cooldownMs);
  return limits;
}

const guards: Record<GuardName, GuardFn> = {
  async paused(_heal, _policy, deps) {
    return (await deps.reads.paused())
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
    if (forced(heal)) return pass('cooldown', 'skipped: forced by an operator');
    const last = await deps.reads.lastActionAt(heal.policy, heal.targetKey);
    const cooldownMs = policy!.guards.cooldownMs;
    if (last && cooldownMs > 0 && new Date(last).getTime() + cooldownMs > deps.clock.now().getTime()) {
      return limitRefusal(heal, policy, { limit: 'cooldown', lastAt: last }, deps);
    }
    return pass('cooldown', last ? `last action at ${last}` : 'no earlier action');
  },

  async rate_limit(heal, policy, deps) {
    const limit = policy!.guards.maxPerTarget;
    if (limit) {
      const since = await breakerSince(heal, limit.windowMs, deps);
      // Every policy's actions on this target count: two policies must not take turns forever.
      const count = await deps.reads.countActions({ targetKey: heal.targetKey, since });
      if (count >= limit.count) {
        return limitRefusal(heal, policy, { limit: 'target', count, max: limit.count, since }, deps);
      }
    }
    const since = isoBefore(deps, hourMs);
    const count = await deps.reads.countActions({ since });
    const max = deps.settings.maxActionsPerHour;
    if (count >= max) return limitRefusal(heal, policy, { limit: 'global', count, max, since }, deps);
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

  async autonomy(heal, policy, deps) {
    const rule = policy!.guards.autonomy;
    if (!rule) return pass('autonomy', 'not required');
    // A heal an operator opened has a human in the loop already.
    if (heal.trigger.kind === 'manual') return pass('autonomy', `opened by ${heal.trigger.actor}`);
    const until = deps.clock.now().toISOString();
    const window = { since: isoBefore(deps, rule.windowMs), until };
    const record = await deps.reads.stepRecord(heal.policy, heal.step, window);
    const verdict = assessAutonomy(rule, record, heal.steps[heal.step]?.action ?? 'none');
    return verdict.confident
      ? pass('autonomy', verdict.detail)
      : { guard: 'autonomy', verdict: 'await_approval', detail: verdict.detail };
  },
};

/**
 * Runs the guards in order; returns every decision up to and including the first that is not a pass. With
 * `timed`, each guard's start and end (spanNow) are kept for its span.
 */
export async function runGuards(
  heal: Heal,
  policy: Policy | undefined,
  deps: GuardDeps,
  timed?: GuardTiming[],
): Promise<GuardDecision[]> {
  const decisions: GuardDecision[] = [];
  for (const name of guardOrder) {
    const start = timed ? spanNow() : 0;
    const decision = await guards[name](heal, policy, deps);
    timed?.push({ decision, start, end: spanNow() });
    decisions.push(decision);
    if (decision.verdict !== 'pass') break;
  }
  return decisions;
}
