import type { GuardDecision } from '../domain/guard.js';
import { type Heal, stepNumber } from '../domain/heal.js';
import type { HealEventType } from '../domain/heal-events.js';
import type { Transition } from '../domain/heal-transition.js';
import { salveAttr, targetAttributes } from '../observability/trace-attributes.js';
import { type Attributes, parseTraceparent, type Span, type Tracer } from '../observability/tracing.js';
import type { EngineDeps } from './context.js';

// A heal's trace, as the engine writes it: under the heal's root span (its stored traceparent), one span per
// stage the engine runs (`heal guards`, `heal action`, ...), each guard a span of its own, each action request
// and Kubernetes call a client span under the stage, each move an event.

/** Epoch milliseconds with sub-millisecond precision: the time spans are stamped with. */
export const spanNow = () => performance.timeOrigin + performance.now();

/** What every span of a heal says about it. */
export function healAttributes(heal: Heal): Attributes {
  return {
    [salveAttr.healId]: heal.id,
    [salveAttr.policy]: heal.policy,
    ...targetAttributes(heal.target),
    [salveAttr.step]: stepNumber(heal),
    [salveAttr.attempt]: heal.attempt,
    [salveAttr.action]: heal.steps[heal.step]?.action,
    [salveAttr.dryRun]: heal.dryRun,
  };
}

/** The moves that mean a step did not work, or a human must look: their stage's span ends in error. */
const failing: ReadonlySet<HealEventType> = new Set([
  'step_retry',
  'next_step',
  'steps_exhausted',
  'step_invalid',
  'guard_escalated',
]);

/** A move, told on the active span (the stage's) as it is committed. */
export function traceMove(tracer: Tracer, t: Transition, moved: Heal): void {
  if (!tracer.enabled) return;
  const span = tracer.activeSpan();
  span.addEvent('heal.move', {
    [salveAttr.event]: t.event,
    [salveAttr.stage]: t.from,
    [salveAttr.to]: t.to,
    [salveAttr.reason]: moved.reason ?? undefined,
  });
  span.setAttributes({ [salveAttr.event]: t.event });
  if (failing.has(t.event)) span.fail(moved.reason ?? t.event);
}

/**
 * A heal opened while tracing was off (or whose stored context does not parse) gets its root span now, kept
 * with the heal like any other: from here on it is one trace. Null when the heal could not be written to
 * (another replica moved it): the stage runs untraced this time.
 */
export async function adoptTrace(heal: Heal, deps: EngineDeps): Promise<Heal | null> {
  const root = deps.tracer.startSpan('heal', {
    parent: null,
    attributes: {
      ...healAttributes(heal),
      [salveAttr.trigger]: heal.trigger.kind,
      [salveAttr.state]: heal.state,
    },
  });
  root.addEvent('trace begun after the heal opened', { opened_at: heal.openedAt });
  try {
    const adopted = await deps.store.transition({
      id: heal.id,
      owner: deps.settings.owner,
      expectStage: heal.stage,
      set: { traceContext: root.traceparent },
      audit: [],
    });
    root.end();
    return adopted;
  } catch (err) {
    root.discard();
    deps.log.debug({ heal: heal.id, err }, 'could not keep the trace context of a heal');
    return null;
  }
}

/** Whether the heal needs a root span before its stage runs (tracing on, no usable stored context). */
export const needsRoot = (heal: Heal, tracer: Tracer) =>
  tracer.enabled && parseTraceparent(heal.traceContext) === null;

export function startStageSpan(heal: Heal, tracer: Tracer): Span {
  return tracer.startSpan(`heal ${heal.stage}`, {
    parent: heal.traceContext,
    attributes: { ...healAttributes(heal), [salveAttr.stage]: heal.stage },
  });
}

/**
 * Ends the stage's span with where the heal went. A held heal looking again (salve paused: every poll) made
 * no move and tells nothing new: its span is dropped, or a long pause would fill the trace with copies.
 */
export function endStageSpan(span: Span, before: Heal, after: Heal): void {
  const heldAgain =
    before.stage === 'guards' &&
    after.stage === 'guards' &&
    before.reason === 'paused' &&
    after.reason === 'paused';
  if (heldAgain) {
    span.discard();
    return;
  }
  span.setAttributes({
    [salveAttr.to]: after.stage,
    [salveAttr.state]: after.state,
    [salveAttr.reason]: after.reason ?? undefined,
  });
  span.end();
}

/** The stage did not come to a move: the store failed, or a bug. */
export function failStageSpan(span: Span, error: unknown): void {
  span.fail(error instanceof Error ? error.message : String(error));
  span.end();
}

/** Runs `work` under a span of the heal's trace (an operator's decision on it); tracing off: just runs it. */
export async function withHealSpan<T>(
  tracer: Tracer,
  name: string,
  heal: Heal,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracer.enabled) return work();
  const span = tracer.startSpan(name, {
    parent: heal.traceContext,
    attributes: { ...healAttributes(heal), ...attributes },
  });
  try {
    const result = await tracer.withSpan(span, work);
    span.end();
    return result;
  } catch (err) {
    failStageSpan(span, err);
    throw err;
  }
}

export type GuardTiming = { decision: GuardDecision; start: number; end: number };

/** Each guard that ran, as a span of its own under the active span (the guards stage's), after the fact. */
export function recordGuards(tracer: Tracer, timings: readonly GuardTiming[]): void {
  for (const { decision, start, end } of timings) {
    const span = tracer.startSpan(`guard ${decision.guard}`, {
      startTime: start,
      attributes: {
        [salveAttr.guard]: decision.guard,
        [salveAttr.verdict]: decision.verdict,
        [salveAttr.detail]: decision.detail,
        [salveAttr.reason]: decision.verdict === 'refuse' ? decision.reason : undefined,
      },
    });
    span.end(end);
  }
}
