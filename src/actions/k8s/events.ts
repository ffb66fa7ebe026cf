import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { isAlreadyExists } from '../../kube/api-errors.js';
import type { KubeEvent, ObjectRef } from '../../kube/port.js';
import type { ActionContext } from '../types.js';

export const reportingController = 'salve.dev/salve';
const noteLimit = 1024;
const fieldLimit = 128;

/** A MicroTime: RFC 3339 with exactly 6 fractional digits, which the API server requires for eventTime. */
export function microTime(at: Date): string {
  return `${at.toISOString().slice(0, -1)}000Z`;
}

/**
 * client-go names events `<regarding.name>.<16 hex digits>` (its clock in nanoseconds). Ours come from the
 * heal step instead: a step that runs again (a crash between its change and its Event, a lease handed over)
 * names the same Event, so it is posted once, and a re-run that finds it missing posts it then.
 */
export function eventName(regardingName: string, heal: { id: string; markStep: number }): string {
  const digest = createHash('sha256').update(`${heal.id}\u0000${heal.markStep}`).digest('hex').slice(0, 16);
  return `${regardingName}.${digest}`;
}

function reportingInstance(): string {
  const host = hostname();
  return (host === '' ? 'salve' : host).slice(0, fieldLimit);
}

export type EventInput = {
  regarding: ObjectRef;
  related?: ObjectRef;
  /** What salve did, CamelCase: RolloutUndo, RolloutRestart, Scale, CreateJob. */
  action: string;
  reason: string;
  /** What changed; the heal and policy are prefixed here. */
  note: string;
};

/**
 * Where the Event about an object lives: its namespace, or `default` for a cluster-scoped object (a Node), as
 * client-go's recorder and kubelet put them.
 */
export function eventNamespace(regarding: ObjectRef): string {
  return regarding.namespace ?? 'default';
}

export function buildEvent(ctx: ActionContext, input: EventInput): KubeEvent {
  const at = ctx.clock.now();
  const note = `salve heal ${ctx.heal.id} (policy ${ctx.heal.policy}, step ${ctx.heal.step}): ${input.note}`;
  return {
    metadata: { name: eventName(input.regarding.name, ctx.heal), namespace: eventNamespace(input.regarding) },
    eventTime: microTime(at),
    type: 'Normal',
    reportingController,
    reportingInstance: reportingInstance(),
    action: input.action.slice(0, fieldLimit),
    reason: input.reason.slice(0, fieldLimit),
    note: note.length > noteLimit ? `${note.slice(0, noteLimit - 3)}...` : note,
    regarding: input.regarding,
    ...(input.related === undefined ? {} : { related: input.related }),
  };
}

/**
 * Makes sure the Event telling what this heal step did exists on the object: called after the change, and
 * again by a re-run that finds the change already made (its Event may never have been posted). Already there
 * is success. The change already happened, so a failure here is only logged.
 */
export async function recordEvent(ctx: ActionContext, input: EventInput): Promise<void> {
  const event = buildEvent(ctx, input);
  try {
    await ctx.kube.createEvent(event.metadata.namespace, event);
  } catch (err) {
    if (isAlreadyExists(err)) return;
    ctx.log.warn(
      { err, heal: ctx.heal.id, regarding: input.regarding, event: event.metadata.name },
      'kubernetes event not recorded',
    );
  }
}
