import type { OutboxInput } from '../notify/types.js';
import type { Policy } from '../policy/types.js';
import { auditTypes } from '../store/audit-types.js';
import type { ActionRecordInput, AuditInput, Heal, HealState, HealTransition } from '../store/types.js';
import type { EngineDeps } from './context.js';

/** An audit record about a heal, by salve itself unless someone else is named. */
export function healAudit(
  heal: Heal,
  type: string,
  outcome: string | null,
  data: Record<string, unknown>,
  actor = 'salve',
): AuditInput {
  return { type, actor, healId: heal.id, policy: heal.policy, target: heal.targetKey, outcome, data };
}

export type Move = Omit<HealTransition, 'id' | 'owner' | 'expectState'>;

/** Applies a move while this process still holds the heal in the state it read. */
export function move(heal: Heal, deps: EngineDeps, m: Move): Promise<Heal> {
  return deps.store.transition({ id: heal.id, owner: deps.settings.owner, expectState: heal.state, ...m });
}

/**
 * The step as people and clients see it, counted from 1 as the policy lists them: in the API, the audit log,
 * notifications, Kubernetes Events and the names salve gives what it creates. `heal.step` stays the index.
 */
export const stepNumber = (heal: Pick<Heal, 'step'>) => heal.step + 1;

export const nowIso = (deps: EngineDeps) => deps.clock.now().toISOString();

/** Global dry-run, the heal's own (opened under it), or its policy's: the step changes nothing. */
export const isDryRun = (heal: Heal, policy: Policy | undefined, deps: EngineDeps) =>
  deps.settings.dryRun || heal.dryRun || policy?.guards.dryRun === true;

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
export const inMs = (deps: EngineDeps, ms: number) => new Date(deps.clock.now().getTime() + ms).toISOString();

type Closing = Extract<HealState, 'resolved' | 'escalated' | 'cancelled' | 'refused' | 'failed'>;

const wouldHaveTypes: ReadonlySet<string> = new Set([auditTypes.healResolved, auditTypes.healEscalated]);

/**
 * A dry run that would have resolved or escalated ends as `dry_run`: it healed nothing and paged no one, so it
 * must not count as a resolution (nor page as "needs a human"). Its records and notification say what it
 * would have come to.
 */
function asDryRun(
  state: 'resolved' | 'escalated',
  reason: string,
  audit: AuditInput[],
  notify: OutboxInput[],
) {
  const why = `would have ${state === 'resolved' ? 'resolved' : 'escalated'}: ${reason}`;
  return {
    reason: why,
    audit: audit.map((record) =>
      wouldHaveTypes.has(record.type)
        ? {
            ...record,
            type: auditTypes.healDryRunFinished,
            outcome: 'dry_run',
            data: { ...record.data, wouldHave: state },
          }
        : record,
    ),
    notify: notify.map((n) => ({
      ...n,
      event: {
        ...n.event,
        kind: 'heal.dry_run' as const,
        heal: { ...n.event.heal, state: 'dry_run', dryRun: true },
        dryRun: { wouldHave: state, why: n.event.escalation?.why ?? reason },
      },
    })),
  };
}

/** Closes a heal: no more work is scheduled, the target is free for other heals. */
export async function closeHeal(
  heal: Heal,
  deps: EngineDeps,
  closing: Closing,
  closingReason: string,
  closingAudit: AuditInput[],
  closingNotify: OutboxInput[] = [],
  resolveAlerts: Array<{ fingerprint: string; startsAt: string }> = [],
): Promise<Heal> {
  const dry =
    (closing === 'resolved' || closing === 'escalated') &&
    isDryRun(heal, deps.policies.current().byName.get(heal.policy), deps);
  const state: HealState = dry ? 'dry_run' : closing;
  const { reason, audit, notify } = dry
    ? asDryRun(closing as 'resolved' | 'escalated', closingReason, closingAudit, closingNotify)
    : { reason: closingReason, audit: closingAudit, notify: closingNotify };
  const at = nowIso(deps);
  const closed = await move(heal, deps, {
    resolveAlerts,
    set: { state, phase: 'done', nextRunAt: null, deadlineAt: null, pageAt: null, reason, closedAt: at },
    audit,
    notify,
    releaseLease: true,
    // An alert that attached after the check keeps the heal open: it is verified at the next turn.
    requireAlertsResolved: closing === 'resolved',
  });
  await deps.store.releaseTargetLock(heal.targetKey, heal.id);
  const action = heal.steps[heal.step]?.action ?? 'none';
  deps.metrics.heals.inc({ policy: heal.policy, action, outcome: state });
  if (state === 'resolved') {
    deps.metrics.timeToResolve.observe(
      { policy: heal.policy },
      (new Date(at).getTime() - new Date(heal.openedAt).getTime()) / 1000,
    );
  }
  const level = state === 'escalated' || state === 'failed' ? 'warn' : 'info';
  deps.log[level](
    { heal: heal.id, policy: heal.policy, target: heal.targetKey, outcome: state, reason },
    'heal closed',
  );
  return closed;
}

/** Alerts resolved on their own before salve acted: nothing left to heal. */
export async function allAlertsResolved(heal: Heal, deps: EngineDeps): Promise<boolean> {
  const alerts = await deps.store.healAlerts(heal.id);
  return alerts.length > 0 && alerts.every((a) => a.resolvedAt !== null);
}
