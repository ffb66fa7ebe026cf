import type { NotificationEvent, NotificationKind, OutboxInput } from '../notify/types.js';
import type { Heal } from '../store/types.js';
import type { EngineDeps } from './context.js';
import { timelineLimit, timelineOf } from './timeline.js';

/** Events that ask a human to step in carry the heal's story so far: they open an incident. */
const toldWithStory: ReadonlySet<NotificationKind> = new Set(['heal.escalated', 'approval.overdue']);

async function timelineFor(heal: Heal, deps: EngineDeps) {
  const newest = await deps.store.queryAudit({ healId: heal.id, newestFirst: true, limit: timelineLimit });
  return timelineOf(newest.reverse());
}

type Extra = Omit<NotificationEvent, 'kind' | 'at' | 'heal' | 'alert'>;

async function alertOf(heal: Heal, deps: EngineDeps): Promise<NotificationEvent['alert']> {
  if (heal.trigger.kind !== 'alert') return null;
  const { fingerprint, startsAt, alertname, externalURL } = heal.trigger;
  const stored = (await deps.store.listAlerts({ fingerprint, limit: 20 })).find(
    (a) => a.startsAt === startsAt,
  );
  return {
    alertname,
    fingerprint,
    severity: stored?.labels.severity ?? null,
    summary: stored?.annotations.summary ?? stored?.annotations.description ?? null,
    generatorURL: stored?.generatorURL || null,
    alertmanagerURL: externalURL || null,
  };
}

/**
 * The notifications a move causes, one per notifier the policy names; they are committed with the move.
 * A policy that names no notifier tells no one (the audit log still has everything).
 */
export async function notificationsFor(
  heal: Heal,
  deps: EngineDeps,
  kind: NotificationKind,
  extra: Extra = {},
): Promise<OutboxInput[]> {
  const notifiers = deps.policies.current().byName.get(heal.policy)?.notify ?? [];
  if (notifiers.length === 0) return [];
  const base = deps.settings.publicUrl?.replace(/\/$/, '');
  const event: NotificationEvent = {
    kind,
    at: deps.clock.now().toISOString(),
    heal: {
      id: heal.id,
      policy: heal.policy,
      target: heal.target,
      targetKey: heal.targetKey,
      state: heal.state,
      dryRun: heal.dryRun,
      openedAt: heal.openedAt,
      steps: heal.steps.map((s) => ({ action: s.action })),
      url: base ? `${base}/v1/heals/${heal.id}` : null,
      consoleUrl: base ? `${base}/#/heals/${encodeURIComponent(heal.id)}` : null,
      pagedAt: heal.pagedAt,
    },
    alert: await alertOf(heal, deps),
    ...(toldWithStory.has(kind) ? { timeline: await timelineFor(heal, deps) } : {}),
    ...extra,
  };
  return notifiers.map((notifier) => ({ notifier, event }));
}
