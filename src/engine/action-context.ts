import type { ActionContext } from '../actions/types.js';
import { type Heal, markStep, stepNumber } from '../domain/heal.js';
import type { EngineDeps } from './context.js';

/** When the heal's incident began: the earliest startsAt of its alerts (none for a manual heal). */
export async function alertStartedAt(heal: Heal, deps: EngineDeps): Promise<string | undefined> {
  const starts = (await deps.store.healAlerts(heal.id)).map((a) => a.startsAt).sort();
  return starts[0];
}

/** What an action sees of the heal and of salve while its step runs (or its rollout is watched). */
export function actionContext(heal: Heal, deps: EngineDeps, startedAt?: string): ActionContext {
  return {
    heal: {
      id: heal.id,
      policy: heal.policy,
      step: stepNumber(heal),
      markStep: markStep(heal),
      attempt: heal.attempt,
      ...(startedAt === undefined ? {} : { alertStartedAt: startedAt }),
    },
    target: heal.target,
    kube: deps.kube,
    secrets: deps.secrets,
    tokens: deps.tokens,
    clock: deps.clock,
    tracer: deps.tracer,
    log: deps.log.child({ heal: heal.id, policy: heal.policy, target: heal.targetKey }),
  };
}
