import { describe, expect, it } from 'vitest';
import type { GuardDecision } from '../../src/domain/guard.js';
import {
  type HealStage,
  healStages,
  isOpenStage,
  openStages,
  phaseOf,
  stageOf,
  stateOf,
} from '../../src/domain/heal.js';
import { apply, IllegalMove, inStage, moveFor } from '../../src/domain/heal-apply.js';
import type { HealEvent, HealEventType } from '../../src/domain/heal-events.js';
import { healMachine, type Move } from '../../src/domain/heal-machine.js';
import { at, healIn } from '../support/heal-fixture.js';

const pass = (guard: 'paused' | 'allowed'): Extract<GuardDecision, { verdict: 'pass' }> => ({
  guard,
  verdict: 'pass',
  detail: 'ok',
});
const record = {
  healId: 'heal_x',
  policy: 'p',
  targetKey: 'Deployment/ns/x',
  action: 'k8s.restart',
  step: 0,
  attempt: 0,
  dryRun: false,
};
const limits = { global: { since: at, max: 30 } };
const result = { status: 'changed' as const, detail: 'restarted', durationMs: 12 };
const actionFailure = {
  in: 'action' as const,
  code: 'SALVE_KUBE_FORBIDDEN',
  message: 'no',
  retryable: false,
  durationMs: 3,
};

/** One event of every type, for the stage it is sent from (failures where that stage gives up). */
function sample(type: HealEventType, stage: HealStage, dryRun = false): HealEvent {
  const failure =
    stage === 'rollout'
      ? { in: 'rollout' as const, outcome: 'timed_out' as const, detail: 'slow' }
      : stage === 'resolve'
        ? { in: 'resolve' as const, stillFiring: 2 }
        : actionFailure;
  const refusal = (escalate: boolean) => ({
    guard: 'rate_limit' as const,
    verdict: 'refuse' as const,
    reason: escalate ? ('loop_breaker' as const) : ('cooldown' as const),
    detail: 'full',
    escalate,
  });
  const events: { [T in HealEventType]: Extract<HealEvent, { type: T }> } = {
    guard_held: {
      type: 'guard_held',
      at,
      passed: [],
      hold: { guard: 'paused', verdict: 'hold', detail: 'paused' },
      retryAt: at,
    },
    guard_refused: { type: 'guard_refused', at, passed: [pass('paused')], refusal: refusal(false) },
    guard_escalated: {
      type: 'guard_escalated',
      at,
      passed: [pass('paused')],
      refusal: refusal(true),
      dryRun,
    },
    approval_required: {
      type: 'approval_required',
      at,
      passed: [pass('paused'), pass('allowed')],
      request: { guard: 'approval', verdict: 'await_approval', detail: 'needs one' },
      expiresAt: at,
      pageAt: null,
      wouldDo: ['restart'],
    },
    guards_passed: {
      type: 'guards_passed',
      at,
      passed: [pass('paused'), pass('allowed')],
      reserve: { action: record, limits },
    },
    alerts_resolved: { type: 'alerts_resolved', at, source: 'alertmanager api', resolvedByApi: [], dryRun },
    approval_expired: { type: 'approval_expired', at },
    approval_overdue: { type: 'approval_overdue', at, waitingSince: at, wouldDo: ['restart'] },
    approved: { type: 'approved', at, actor: 'token:ops', via: 'api' },
    rejected: { type: 'rejected', at, actor: 'slack:U1', via: 'slack', comment: 'no' },
    step_invalid: { type: 'step_invalid', at, why: 'gone' },
    step_dry_run: {
      type: 'step_dry_run',
      at,
      record: { ...record, dryRun: true },
      wouldDo: 'restart',
      deadlineAt: at,
    },
    step_started: { type: 'step_started', at, record, limits, params: {} },
    step_finished: { type: 'step_finished', at, result, deadlineAt: at, nextRunAt: at },
    step_rolling_out: { type: 'step_rolling_out', at, result, deadlineAt: at, nextRunAt: at },
    step_retry: {
      type: 'step_retry',
      at,
      failure: { ...actionFailure, retryable: true },
      retryAt: at,
      retryInMs: 500,
    },
    rollout_done: { type: 'rollout_done', at, detail: 'rolled out', deadlineAt: at },
    next_step: { type: 'next_step', at, failure },
    steps_exhausted: { type: 'steps_exhausted', at, failure, dryRun },
    nothing_to_verify: { type: 'nothing_to_verify', at, dryRun },
  };
  return events[type];
}

type Row = { from: HealStage; event: HealEventType; move: Move<HealEventType> };
const rows: Row[] = openStages.flatMap((from) =>
  Object.entries(healMachine[from] as Record<string, Move<HealEventType>>).map(([event, move]) => ({
    from,
    event: event as HealEventType,
    move,
  })),
);
const variants = (r: Row) => (r.move.endsDryRun ? [false, true] : [false]);

describe('the heal state machine', () => {
  it('every stage is reachable from a new heal, and every open stage can end', () => {
    const seen = new Set<HealStage>(['guards']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of rows) {
        const targets = r.move.endsDryRun ? [r.move.to, 'dry_run' as const] : [r.move.to];
        for (const to of targets) {
          if (seen.has(r.from) && !seen.has(to)) {
            seen.add(to);
            grew = true;
          }
        }
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(healStages).sort());
    for (const stage of openStages) {
      const ends = new Set<HealStage>();
      const walk = (s: HealStage, visited: Set<HealStage>) => {
        if (!isOpenStage(s)) return void ends.add(s);
        if (visited.has(s)) return;
        visited.add(s);
        for (const r of rows.filter((row) => row.from === s)) walk(r.move.to, visited);
      };
      walk(stage, new Set());
      expect(ends.size, stage).toBeGreaterThan(0);
    }
  });

  it('every end stage is final: no event moves an ended heal', () => {
    const types = [...new Set(rows.map((r) => r.event))];
    for (const stage of Object.keys(healStages) as HealStage[]) {
      if (isOpenStage(stage)) continue;
      for (const type of types) {
        expect(moveFor(stage, type)).toBeNull();
        expect(() => apply(healIn(stage) as never, sample(type, 'guards') as never)).toThrow(IllegalMove);
      }
    }
  });

  it('every event type has a move somewhere, and an event a stage has no row for is refused at run time', () => {
    const used = new Set(rows.map((r) => r.event));
    for (const type of Object.keys(sampleTypes) as HealEventType[]) expect(used.has(type), type).toBe(true);
    const heal = healIn('resolve');
    expect(() => apply(heal as never, sample('approved', 'approval') as never)).toThrow(
      'a heal in stage resolve has no move for approved',
    );
  });

  it('illegal moves do not type-check for a heal whose stage is known', () => {
    const heal = healIn('approval');
    if (!inStage(heal, 'approval')) throw new Error('unreachable');
    // @ts-expect-error: an approval-stage heal has no step to finish.
    expect(() => apply(heal, sample('step_finished', 'action'))).toThrow(IllegalMove);
    expect(apply(heal, { type: 'approved', at, actor: 'token:ops', via: 'api' }).to).toBe('guards');
  });

  for (const r of rows) {
    for (const dryRun of variants(r)) {
      it(`${r.from} --${r.event}${dryRun ? ' (dry run)' : ''}--> ${dryRun ? 'dry_run' : r.move.to}: audited as the table says`, () => {
        const heal = healIn(r.from, r.from === 'guards' ? { reason: 'paused' } : {});
        const before = structuredClone(heal);
        const t = apply(heal as never, sample(r.event, r.from, dryRun) as never);
        expect(heal).toEqual(before);
        const to = dryRun ? 'dry_run' : r.move.to;
        expect(t).toMatchObject({ from: r.from, to, event: r.event, set: { stage: to } });
        expect(t.heal).toMatchObject({ stage: to, state: stateOf(to) });
        expect(t.audit.length).toBeGreaterThan(0);
        const kinds = t.audit.map((a) => a.type);
        const passed = kinds.filter((k) => k === 'guard.passed').length;
        if (!r.move.guards) expect(passed).toBe(0);
        const declared = r.move.audit.map((k) =>
          dryRun && (k === 'heal.resolved' || k === 'heal.escalated') ? 'heal.dry_run_finished' : k,
        );
        expect(kinds.slice(r.move.guards ? passed : 0)).toEqual(declared);
        for (const record of t.audit) expect(record).toMatchObject({ healId: heal.id, policy: heal.policy });
        const told = r.move.notify.map((k) =>
          dryRun && (k === 'heal.resolved' || k === 'heal.escalated') ? 'heal.dry_run' : k,
        );
        for (const n of t.notify) expect(told).toContain(n.kind);
        if (!isOpenStage(to)) {
          expect(t.set).toMatchObject({ nextRunAt: null, deadlineAt: null, pageAt: null, closedAt: at });
          expect(t).toMatchObject({ releaseLease: true, releaseTargetLock: true });
        }
      });
    }
  }

  it('a dry run ends in dry_run, saying what it would have come to', () => {
    const t = apply(healIn('resolve') as never, sample('alerts_resolved', 'resolve', true) as never);
    expect(t.set.reason).toBe('would have resolved: alerts_resolved');
    expect(t.audit.map((a) => a.type)).toEqual(['verify.resolved', 'heal.dry_run_finished']);
    expect(t.audit[1]).toMatchObject({ outcome: 'dry_run', data: { wouldHave: 'resolved' } });
    expect(t.notify).toEqual([
      expect.objectContaining({
        kind: 'heal.dry_run',
        dryRun: { wouldHave: 'resolved', why: 'alerts_resolved' },
      }),
    ]);
  });

  it('a failed step is one move: its failure and the next step, or its failure and the escalation', () => {
    const heal = healIn('action');
    const next = apply(heal as never, sample('next_step', 'action') as never);
    expect(next.set).toMatchObject({
      stage: 'action',
      step: 1,
      attempt: 0,
      reason: 'action k8s.restart failed: SALVE_KUBE_FORBIDDEN',
    });
    expect(next.finishAction).toEqual({ step: 0, status: 'failed', detail: 'SALVE_KUBE_FORBIDDEN: no' });
    const last = apply(healIn('action', { step: 1 }) as never, sample('steps_exhausted', 'action') as never);
    expect(last.to).toBe('escalated');
    expect(last.notify.map((n) => n.kind)).toEqual(['step.result', 'heal.escalated']);
  });

  it('a pending heal is told cancelled only when it was told held', () => {
    const quiet = apply(healIn('guards') as never, sample('alerts_resolved', 'guards') as never);
    expect(quiet.notify).toEqual([]);
    const held = apply(
      healIn('guards', { reason: 'paused' }) as never,
      sample('alerts_resolved', 'guards') as never,
    );
    expect(held.notify.map((n) => n.kind)).toEqual(['heal.cancelled']);
  });

  it('the stored state and phase are views of the stage, and read back as it', () => {
    for (const stage of Object.keys(healStages) as HealStage[]) {
      expect(stageOf(stateOf(stage), phaseOf(stage))).toBe(stage);
    }
    // Rows written before the stage existed: an ended heal's phase is `done`; an odd pair falls back to the state.
    expect(stageOf('resolved', 'guards')).toBe('resolved');
    expect(stageOf('verifying', 'guards')).toBe('resolve');
  });
});

const sampleTypes: Record<HealEventType, true> = {
  guard_held: true,
  guard_refused: true,
  guard_escalated: true,
  approval_required: true,
  guards_passed: true,
  alerts_resolved: true,
  approval_expired: true,
  approval_overdue: true,
  approved: true,
  rejected: true,
  step_invalid: true,
  step_dry_run: true,
  step_started: true,
  step_finished: true,
  step_rolling_out: true,
  step_retry: true,
  rollout_done: true,
  next_step: true,
  steps_exhausted: true,
  nothing_to_verify: true,
};
