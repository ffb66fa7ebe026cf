import type { HealTrigger } from '../domain/heal.js';
import type { TargetRef } from '../domain/target.js';
import { salveAttr, targetAttributes } from '../observability/trace-attributes.js';
import type { Span, Tracer } from '../observability/tracing.js';
import type { HealRef } from '../store/types.js';

/** A heal a request may open: the policy and target it would be for. */
export type Opening = {
  policy: string;
  targetKey: string;
  target: TargetRef;
  dryRun: boolean;
  /** The alert that would open it (the first of the request's to match). */
  alertname?: string;
};

export type HealTraces = {
  /** What the store writes with each heal it opens: the traceparent of the heal's root span. */
  traces: Array<{ policy: string; targetKey: string; traceContext: string }>;
  /** The request committed: the roots of the heals it opened are ended, the others dropped. */
  opened(heals: readonly HealRef[]): void;
  /** The request failed: nothing was opened. */
  dropped(): void;
};

/**
 * One trace per heal. Before the store is asked, each heal the request may open gets its root span, a trace
 * of its own (never the caller's: a request cannot choose a heal's trace, nor its sampling); the store keeps
 * the root's traceparent with the heal, so every replica that continues the heal joins that trace. The
 * request's span and each root link to each other. Tracing off: nothing at all is done.
 */
export function startHealTraces(
  tracer: Tracer,
  openings: readonly Opening[],
  trigger: { kind: HealTrigger['kind']; actor?: string },
  request: Span,
): HealTraces | null {
  if (!tracer.enabled || openings.length === 0) return null;
  const roots = new Map<string, { opening: Opening; span: Span }>();
  for (const opening of openings) {
    const key = `${opening.policy}\u0000${opening.targetKey}`;
    if (roots.has(key)) continue;
    const span = tracer.startSpan('heal', {
      parent: null,
      links: request.traceparent === null ? [] : [request.traceparent],
      attributes: {
        [salveAttr.policy]: opening.policy,
        ...targetAttributes(opening.target),
        [salveAttr.trigger]: trigger.kind,
        [salveAttr.alertName]: opening.alertname,
        [salveAttr.actor]: trigger.actor,
        [salveAttr.dryRun]: opening.dryRun,
      },
    });
    if (span.traceparent !== null) roots.set(key, { opening, span });
  }
  return {
    traces: [...roots.values()].map(({ opening, span }) => ({
      policy: opening.policy,
      targetKey: opening.targetKey,
      traceContext: span.traceparent!,
    })),
    opened(heals) {
      for (const heal of heals) {
        const root = roots.get(`${heal.policy}\u0000${heal.target}`);
        if (!root) continue;
        root.span.setAttributes({ [salveAttr.healId]: heal.id });
        root.span.end();
        request.addLink(root.span.traceparent!, { [salveAttr.healId]: heal.id });
        roots.delete(`${heal.policy}\u0000${heal.target}`);
      }
      // An open heal of the same policy and target took the alerts: these never became heals.
      for (const { span } of roots.values()) span.discard();
    },
    dropped() {
      for (const { span } of roots.values()) span.discard();
    },
  };
}
