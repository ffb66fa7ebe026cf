import type { Heal } from '../domain/heal.js';
import type { ActionRecordInput } from '../domain/ledger.js';
import type { Policy } from '../policy/types.js';
import type { EngineDeps } from './context.js';

/** Global dry-run, the heal's own (opened under it), or its policy's: the step changes nothing. */
export const isDryRun = (
  heal: Heal,
  policy: Policy | undefined,
  settings: Pick<EngineDeps['settings'], 'dryRun'>,
) => settings.dryRun || heal.dryRun || policy?.guards.dryRun === true;

/** The policy in force now for the heal (the table may have changed since it opened). */
export const policyOf = (heal: Heal, deps: EngineDeps) => deps.policies.current().byName.get(heal.policy);

/** The action ledger's row for the heal's current step. */
export function actionRecord(heal: Heal, dryRun: boolean): ActionRecordInput {
  return {
    healId: heal.id,
    policy: heal.policy,
    targetKey: heal.targetKey,
    action: heal.steps[heal.step]?.action ?? 'none',
    step: heal.step,
    attempt: heal.attempt,
    dryRun,
  };
}

/** Alerts resolved on their own before salve acted: nothing left to heal. */
export async function allAlertsResolved(heal: Heal, deps: EngineDeps): Promise<boolean> {
  const alerts = await deps.store.healAlerts(heal.id);
  return alerts.length > 0 && alerts.every((a) => a.resolvedAt !== null);
}
