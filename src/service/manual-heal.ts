import { createHash } from 'node:crypto';
import type { ActionRegistry } from '../actions/registry.js';
import type { Clock } from '../clock.js';
import { auditTypes } from '../domain/audit.js';
import type { Heal } from '../domain/heal.js';
import { SalveError } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import { evaluateLabels } from '../policy/evaluate.js';
import type { PolicyTable } from '../policy/table.js';
import { canonicalJson } from '../store/audit-chain.js';
import type { Store } from '../store/types.js';

export type ManualHealDeps = {
  store: Pick<Store, 'appendAudit' | 'openManualHeal'>;
  policies: { current(): PolicyTable };
  registry: ActionRegistry;
  clock: Clock;
  metrics: Metrics;
  engine: { poke(): void };
  config: { dryRun: boolean };
};

/** What an operator asks for: labels fill the policy's templates as an alert's would. */
export type ManualHealRequest = {
  policy: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  reason: string;
  dryRun: boolean;
  /** Skips the cooldown, never `allow` or the heal-loop breaker. */
  force: boolean;
};

/**
 * Opens a heal by hand, or finds the one already open for the policy and target. The same Idempotency-Key
 * with the same request returns the same heal; with another request it is refused. A policy that refuses
 * the target says why (SALVE_HEAL_REFUSED), and the refusal is audited.
 */
export async function openManualHeal(
  deps: ManualHealDeps,
  request: ManualHealRequest,
  caller: { actor: string; idempotencyKey: string | null },
): Promise<{ heal: Heal; created: boolean }> {
  const { actor, idempotencyKey } = caller;
  const outcome = evaluateLabels(
    deps.policies.current(),
    request.policy,
    request.labels,
    request.annotations,
    deps.registry,
  );
  if (outcome.outcome === 'refused') {
    await deps.store.appendAudit([
      {
        type: auditTypes.policyRefused,
        actor,
        healId: null,
        policy: request.policy,
        target: null,
        outcome: outcome.reason,
        data: { manual: true, reason: request.reason, labels: request.labels, detail: outcome.detail },
      },
    ]);
    throw new SalveError(
      'SALVE_HEAL_REFUSED',
      `policy ${request.policy} refuses: ${outcome.reason}: ${outcome.detail}`,
    );
  }
  const opened = await deps.store.openManualHeal({
    policy: request.policy,
    targetKey: outcome.targetKey,
    target: outcome.target,
    steps: outcome.steps,
    dryRun: request.dryRun || deps.config.dryRun,
    actor,
    reason: request.reason,
    force: request.force,
    idempotencyKey,
    // What the key stands for: the same key must come with the same request.
    requestDigest:
      idempotencyKey === null ? null : createHash('sha256').update(canonicalJson(request)).digest('hex'),
    at: deps.clock.now().toISOString(),
  });
  if (opened.created) {
    deps.metrics.healsOpened.inc({ policy: opened.heal.policy });
    deps.engine.poke();
  }
  return opened;
}
