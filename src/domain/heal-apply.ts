// apply(heal, event): the one way a heal moves. Pure: it returns the move for the engine to commit.
import { auditTypes } from './audit.js';
import { type Heal, type HealStage, isOpenStage, type OpenStage, stateOf } from './heal.js';
import type { HealEvent, HealEventType } from './heal-events.js';
import { type EventFrom, healMachine, type Move } from './heal-machine.js';
import type { Made } from './heal-moves.js';
import type { NotificationDraft, Transition } from './heal-transition.js';

const a = auditTypes;

/** A heal known to be in one of the stages S. */
export type HealIn<S extends HealStage> = Heal & { stage: S };

export function inStage<S extends HealStage>(heal: Heal, ...stages: S[]): heal is HealIn<S> {
  return (stages as HealStage[]).includes(heal.stage);
}

/** An event the machine has no move for from the heal's stage. */
export class IllegalMove extends Error {
  constructor(
    readonly from: HealStage,
    readonly event: string,
  ) {
    super(`a heal in stage ${from} has no move for ${event}`);
    this.name = 'IllegalMove';
  }
}

/** The move for (stage, event), or null when there is none: a closed heal has none at all. */
export function moveFor(stage: HealStage, event: HealEventType): Move<HealEventType> | null {
  if (!isOpenStage(stage)) return null;
  const moves: Partial<Record<HealEventType, Move<HealEventType>>> = healMachine[stage];
  return moves[event] ?? null;
}

const wouldHave = { resolved: 'resolved', escalated: 'escalated' } as const;
const closingRecords: ReadonlySet<string> = new Set([a.healResolved, a.healEscalated]);
const closingKinds: ReadonlySet<string> = new Set(['heal.resolved', 'heal.escalated']);

/**
 * A dry run that would have resolved or escalated ends as `dry_run`: it healed nothing and paged no one, so it
 * must not count as a resolution (nor page as "needs a human"). Its closing record and notification say what
 * it would have come to; what led there (a failed check, a timeout) is recorded as it is.
 */
function asDryRun(made: Made, to: 'resolved' | 'escalated'): Made {
  const reason = made.set?.reason ?? to;
  return {
    ...made,
    set: { ...made.set, reason: `would have ${wouldHave[to]}: ${reason}` },
    audit: made.audit.map((r) =>
      closingRecords.has(r.type)
        ? { ...r, type: a.healDryRunFinished, outcome: 'dry_run', data: { ...r.data, wouldHave: to } }
        : r,
    ),
    notify: (made.notify ?? []).map(
      (n): NotificationDraft =>
        closingKinds.has(n.kind)
          ? { ...n, kind: 'heal.dry_run', dryRun: { wouldHave: to, why: n.escalation?.why ?? reason } }
          : n,
    ),
  };
}

/**
 * The move `event` makes from the heal's stage: pure, nothing is written. Illegal moves do not type-check
 * for a heal whose stage is known; at run time (a heal read from the store) they throw IllegalMove.
 */
export function apply<S extends OpenStage>(heal: HealIn<S>, event: EventFrom<S>): Transition;
export function apply(heal: Heal, event: HealEvent): Transition {
  const move = moveFor(heal.stage, event.type);
  if (!move) throw new IllegalMove(heal.stage, event.type);
  let to = move.to;
  let made = move.make(heal, event as never);
  if (move.endsDryRun && 'dryRun' in event && event.dryRun && (to === 'resolved' || to === 'escalated')) {
    made = asDryRun(made, to);
    to = 'dry_run';
  }
  const ends = !isOpenStage(to);
  const set = {
    ...made.set,
    stage: to,
    ...(ends ? { nextRunAt: null, deadlineAt: null, pageAt: null, closedAt: event.at } : {}),
  };
  return {
    event: event.type,
    from: heal.stage,
    to,
    heal: { ...heal, ...set, state: stateOf(to) },
    set,
    audit: made.audit,
    notify: made.notify ?? [],
    ...pick(made),
    ...(ends ? { releaseLease: true, releaseTargetLock: true } : {}),
  };
}

function pick(made: Made): Partial<Transition> {
  const { set: _set, audit: _audit, notify: _notify, ...effects } = made;
  return Object.fromEntries(Object.entries(effects).filter(([, v]) => v !== undefined));
}
