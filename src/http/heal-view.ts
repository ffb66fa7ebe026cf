import { type Heal, type HealPhase, phaseOf, stepNumber } from '../domain/heal.js';

/** A heal as the API shows it: `step` counted from 1, as in the audit log, notifications, Events and docs. */
export type HealView = Heal & {
  /** The stage of an open heal, `done` once it ended (kept for readers of the API before `stage`). */
  phase: HealPhase;
};

export function healView(heal: Heal): HealView {
  return { ...heal, step: stepNumber(heal), phase: phaseOf(heal.stage) };
}
