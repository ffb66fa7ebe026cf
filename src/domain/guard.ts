// The guards: safety rails as ordered stages, and what each decided.

/**
 * In this order. `approval` is the policy's own demand for a human; `autonomy` asks for one when the step's
 * record does not yet show that it heals (`guards.autonomy`).
 */
export const guardOrder = ['paused', 'allowed', 'cooldown', 'rate_limit', 'approval', 'autonomy'] as const;
export type GuardName = (typeof guardOrder)[number];
/** Why a guard refuses: the `reason` of heals, audit records and `salve_guard_refusals_total`. */
export const guardRefusalReasons = [
  'policy_removed',
  'not_allowed',
  'cooldown',
  'loop_breaker',
  'global_rate_limit',
] as const;
export type GuardRefusalReason = (typeof guardRefusalReasons)[number];

export type GuardDecision =
  | { guard: GuardName; verdict: 'pass'; detail: string }
  /** Not now: look again later (pause). */
  | { guard: GuardName; verdict: 'hold'; detail: string }
  /** Never for this heal. `escalate`: a human must know (the heal-loop breaker). */
  | {
      guard: GuardName;
      verdict: 'refuse';
      reason: GuardRefusalReason;
      detail: string;
      until?: string;
      escalate: boolean;
    }
  | { guard: GuardName; verdict: 'await_approval'; detail: string };

export type GuardRefusal = Extract<GuardDecision, { verdict: 'refuse' }>;
