import { openHealStates } from '../domain/heal.js';

/**
 * The open states as an SQL list, for `state IN (...)`: written from the domain's list, never by hand. (The
 * migrations keep their own literal: they are history, and the partial index they create must match it.)
 */
export const openStatesSql = openHealStates.map((s) => `'${s}'`).join(', ');
