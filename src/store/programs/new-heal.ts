import type { HealStage, HealTrigger, ResolvedStep } from '../../domain/heal.js';
import { currentMarkBase, phaseOf, stateOf } from '../../domain/heal.js';
import type { TargetRef } from '../../domain/target.js';
import type { HealInsertRow } from '../rows.js';

export type NewHeal = {
  id: string;
  policy: string;
  targetKey: string;
  target: TargetRef;
  steps: ResolvedStep[];
  dryRun: boolean;
  trigger: HealTrigger;
  at: string;
  /** The `traceparent` of the heal's root span; absent: untraced. */
  traceContext?: string | null;
  /** The caller's Idempotency-Key, scoped to the caller, with the digest of the request it came with. */
  idempotency?: { key: string; scope: string; digest: string | null };
};

/** Every heal starts at the guards, due at once. */
const firstStage: HealStage = 'guards';

export function newHealRow(h: NewHeal): HealInsertRow {
  return {
    id: h.id,
    policy: h.policy,
    target_key: h.targetKey,
    target: JSON.stringify(h.target),
    state: stateOf(firstStage),
    phase: phaseOf(firstStage),
    step: 0,
    steps: JSON.stringify(h.steps),
    dry_run: h.dryRun,
    trigger: JSON.stringify(h.trigger),
    opened_at: h.at,
    updated_at: h.at,
    next_run_at: h.at,
    idempotency_key: h.idempotency?.key ?? null,
    idempotency_scope: h.idempotency?.scope ?? null,
    idempotency_digest: h.idempotency?.digest ?? null,
    trace_context: h.traceContext ?? null,
    mark_base: currentMarkBase,
  };
}
