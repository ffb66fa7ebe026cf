import { type Heal, type HealPhase, phaseOf, stepNumber } from '../domain/heal.js';
import { sampledTraceId, traceLink } from '../observability/tracing.js';

/**
 * A heal as the API shows it: `step` counted from 1, as in the audit log, notifications, Events and docs. How
 * its marks count steps (`markBase`) is salve's own bookkeeping, not shown.
 */
export type HealView = Omit<Heal, 'traceContext' | 'markBase'> & {
  /** The stage of an open heal, `done` once it ended (kept for readers of the API before `stage`). */
  phase: HealPhase;
  /** The heal's trace, when it is traced and recorded (sampled). */
  traceId: string | null;
  /** SALVE_TRACE_URL with the trace id in it: where people read the trace. */
  traceUrl: string | null;
};

/** How the API shows heals; `traceUrl`: SALVE_TRACE_URL, the template of trace links. */
export function healViewer(traceUrl: string | null): (heal: Heal) => HealView {
  return ({ traceContext, markBase: _markBase, ...heal }) => {
    const traceId = sampledTraceId(traceContext);
    return {
      ...heal,
      step: stepNumber(heal),
      phase: phaseOf(heal.stage),
      traceId,
      traceUrl: traceLink(traceUrl, traceId),
    };
  };
}
