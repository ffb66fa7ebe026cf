import { describe, expect, it } from 'vitest';
import { apply } from '../../src/domain/heal-apply.js';
import { decideApprovalWait, decideGuards, type GuardFacts } from '../../src/engine/phase-guards.js';
import { at, healIn } from '../support/heal-fixture.js';

// The page timer as data: a heal waiting for approval carries `pageAt` beside its expiry; when it is due, one
// move (approval_overdue) records approval.paged, tells approval.overdue and goes back to waiting.

const later = (minutes: number) => new Date(Date.parse(at) + minutes * 60_000).toISOString();
const approvalFacts = { alertsResolved: false, waitingSince: at, wouldDo: ['would restart Deployment ns/x'] };

describe('the page timer', () => {
  const facts = (pageAt: string | null): GuardFacts => ({
    at,
    alertsResolved: false,
    decisions: [{ guard: 'approval', verdict: 'await_approval', detail: 'required' }],
    dryRun: false,
    retryAt: later(1),
    expiresAt: later(60),
    pageAt,
    wouldDo: ['would restart Deployment ns/x'],
  });

  it('starts with the wait when the policy pages before the expiry, and not when the expiry comes first', () => {
    const paged = decideGuards(healIn('guards'), facts(later(20)));
    expect(paged).toMatchObject({ event: { type: 'approval_required', pageAt: later(20) } });
    if (!('event' in paged) || paged.event.type !== 'approval_required') throw new Error('expected an event');
    expect(apply(healIn('guards') as never, paged.event as never).set).toMatchObject({
      stage: 'approval',
      deadlineAt: later(60),
      pageAt: later(20),
      nextRunAt: later(20),
    });
    for (const pageAt of [later(60), later(90), null]) {
      const decision = decideGuards(healIn('guards'), facts(pageAt));
      expect(decision).toMatchObject({ event: { type: 'approval_required', pageAt: null } });
      if (!('event' in decision)) throw new Error('expected an event');
      expect(apply(healIn('guards') as never, decision.event as never).set).toMatchObject({
        pageAt: null,
        nextRunAt: later(60),
      });
    }
  });

  it('waits for whichever timer comes first, pages when due, and then waits for the expiry alone', () => {
    const waiting = healIn('approval', { deadlineAt: later(60), pageAt: later(20) });
    expect(decideApprovalWait(waiting, { ...approvalFacts, at: later(5) })).toEqual({ wait: later(20) });
    const due = decideApprovalWait(waiting, { ...approvalFacts, at: later(20) });
    expect(due).toEqual({
      event: {
        type: 'approval_overdue',
        at: later(20),
        waitingSince: at,
        wouldDo: ['would restart Deployment ns/x'],
      },
    });
    if (!('event' in due)) throw new Error('expected an event');
    const move = apply(waiting as never, due.event as never);
    expect(move).toMatchObject({
      from: 'approval',
      to: 'approval',
      set: { stage: 'approval', pageAt: null, pagedAt: later(20), nextRunAt: later(60) },
    });
    expect(move.audit).toEqual([
      expect.objectContaining({
        type: 'approval.paged',
        outcome: 'paged',
        data: { waitingSince: at, expiresAt: later(60), why: 'nobody has approved or rejected the heal yet' },
      }),
    ]);
    expect(move.notify).toEqual([
      {
        kind: 'approval.overdue',
        approval: { waitingSince: at, expiresAt: later(60), wouldDo: ['would restart Deployment ns/x'] },
      },
    ]);
    // Paged once: the heal now waits for the expiry only.
    const paged = healIn('approval', { deadlineAt: later(60), pageAt: null, pagedAt: later(20) });
    expect(decideApprovalWait(paged, { ...approvalFacts, at: later(30) })).toEqual({ wait: later(60) });
  });

  it('the expiry and resolved alerts win over a page due at the same time', () => {
    const both = healIn('approval', { deadlineAt: later(20), pageAt: later(20) });
    expect(decideApprovalWait(both, { ...approvalFacts, at: later(20) })).toMatchObject({
      event: { type: 'approval_expired' },
    });
    const cleared = healIn('approval', { deadlineAt: later(60), pageAt: later(20) });
    expect(
      decideApprovalWait(cleared, { ...approvalFacts, at: later(20), alertsResolved: true }),
    ).toMatchObject({
      event: { type: 'alerts_resolved' },
    });
  });

  it('a decision or an ending stops the timer and keeps when it paged', () => {
    const waiting = healIn('approval', { deadlineAt: later(60), pageAt: later(20), pagedAt: null });
    const approved = apply(
      waiting as never,
      { type: 'approved', at, actor: 'token:ops', via: 'api' } as never,
    );
    expect(approved.set).toMatchObject({ stage: 'guards', pageAt: null });
    const paged = healIn('approval', { deadlineAt: later(60), pageAt: null, pagedAt: later(20) });
    for (const event of [
      { type: 'rejected', at: later(30), actor: 'token:ops', via: 'api' },
      { type: 'approval_expired', at: later(60) },
      { type: 'alerts_resolved', at: later(30) },
    ]) {
      const move = apply(paged as never, event as never);
      expect(move.set).toMatchObject({ stage: 'cancelled', pageAt: null });
      // The heal's end resolves the page: notifiers read `pagedAt` from the heal the move leaves.
      expect(move.heal.pagedAt).toBe(later(20));
    }
  });
});
