import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeEvent, ObjectRef } from '../kube/port.js';
import type { ActionContext } from './types.js';

export const reportingController = 'salve.dev/salve';
const noteLimit = 1024;
const fieldLimit = 128;

/** A MicroTime: RFC 3339 with exactly 6 fractional digits, which the API server requires for eventTime. */
export function microTime(at: Date): string {
  return `${at.toISOString().slice(0, -1)}000Z`;
}

/**
 * client-go names events `<regarding.name>.<hex of unix nanoseconds>`; our clock has milliseconds, so the
 * sub-millisecond part is random, which also keeps two events of one millisecond apart.
 */
export function eventName(regardingName: string, at: Date): string {
  const nanos = BigInt(at.getTime()) * 1_000_000n + BigInt(randomInt(1_000_000));
  return `${regardingName}.${nanos.toString(16)}`;
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

export function buildEvent(ctx: ActionContext, input: EventInput): KubeEvent {
  const at = ctx.clock.now();
  const note = `salve heal ${ctx.heal.id} (policy ${ctx.heal.policy}, step ${ctx.heal.step}): ${input.note}`;
  return {
    metadata: { name: eventName(input.regarding.name, at), namespace: input.regarding.namespace },
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

/** Records what salve did on the object. The change already happened, so a failure here is only logged. */
export async function recordEvent(ctx: ActionContext, input: EventInput): Promise<void> {
  const event = buildEvent(ctx, input);
  try {
    await ctx.kube.createEvent(input.regarding.namespace, event);
  } catch (err) {
    ctx.log.warn(
      { err, heal: ctx.heal.id, regarding: input.regarding, event: event.metadata.name },
      'kubernetes event not recorded',
    );
  }
}
