import { ActionFailed } from '../errors.js';
import type { ActionContext, ActionResult } from './types.js';

// What every action needs about the step it runs, whatever it acts on: the mark that lets a re-run of the
// same step recognise its own work, the words for its target, and its outcomes as values.

/** What a step writes down (an annotation, a tag, a name) so that a re-run of it recognises its own work. */
export function healMark(ctx: ActionContext): string {
  return `${ctx.heal.id}/${ctx.heal.markStep}`;
}

// "Deployment ml-prod/scorer", "Node worker-1": the target's words, written once in the domain.
export { targetLabel } from '../domain/target.js';

export function unchanged(detail: string, data?: Record<string, unknown>): ActionResult {
  return { status: 'unchanged', detail, ...(data ? { data } : {}) };
}

export function changed(detail: string, data?: Record<string, unknown>): ActionResult {
  return { status: 'changed', detail, ...(data ? { data } : {}) };
}

/** A refusal that no retry can cure (paused, no history, unknown revision, a paused DAG). */
export function refused(message: string, details?: Record<string, unknown>): ActionFailed {
  return new ActionFailed('SALVE_ACTION_REFUSED', message, {
    retryable: false,
    ...(details ? { details } : {}),
  });
}
