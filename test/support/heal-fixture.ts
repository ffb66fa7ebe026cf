import { type Heal, type HealStage, stateOf } from '../../src/domain/heal.js';

/** A heal in `stage` for pure tests of the state machine and the engine's decisions, at a fixed time. */
export const at = '2026-11-27T03:00:00.000Z';

export function healIn(stage: HealStage, extra: Partial<Heal> = {}): Heal {
  return {
    id: 'heal_x',
    policy: 'p',
    targetKey: 'Deployment/ns/x',
    target: { kind: 'Deployment', namespace: 'ns', name: 'x' },
    stage,
    state: stateOf(stage),
    step: 0,
    attempt: 0,
    nextRunAt: at,
    deadlineAt: at,
    reason: null,
    idempotencyKey: null,
    approvedBy: null,
    approvedAt: null,
    pageAt: null,
    pagedAt: null,
    traceContext: null,
    markBase: 1,
    steps: [
      { action: 'k8s.restart', params: {}, verify: {} },
      { action: 'k8s.rollback', params: {}, verify: {} },
    ],
    dryRun: false,
    trigger: { kind: 'manual', actor: 'token:ops', reason: 'test', force: false },
    openedAt: '2026-11-27T02:59:00.000Z',
    updatedAt: at,
    closedAt: null,
    ...extra,
  };
}
