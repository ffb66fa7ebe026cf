// The guards: safety rails as ordered stages, and what each decided.

export const guardOrder = ['paused', 'allowed', 'cooldown', 'rate_limit', 'approval'] as const;
export type GuardName = (typeof guardOrder)[number];

export type GuardDecision =
  | { guard: GuardName; verdict: 'pass'; detail: string }
  /** Not now: look again later (pause). */
  | { guard: GuardName; verdict: 'hold'; detail: string }
  /** Never for this heal. `escalate`: a human must know (the heal-loop breaker). */
  | { guard: GuardName; verdict: 'refuse'; reason: string; detail: string; until?: string; escalate: boolean }
  | { guard: GuardName; verdict: 'await_approval'; detail: string };

export type GuardRefusal = Extract<GuardDecision, { verdict: 'refuse' }>;
