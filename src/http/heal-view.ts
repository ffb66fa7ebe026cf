import type { Heal } from '../domain/heal.js';
import { stepNumber } from '../engine/moves.js';

/** A heal as the API shows it: `step` counted from 1, as in the audit log, notifications, Events and docs. */
export function healView(heal: Heal): Heal {
  return { ...heal, step: stepNumber(heal) };
}
