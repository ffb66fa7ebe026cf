import type { Heal } from '../domain/heal.js';
import type { NotificationDraft } from '../domain/heal-transition.js';
import type { NotificationEvent, NotificationKind, OutboxInput } from '../domain/notification.js';
import { timelineLimit, timelineOf } from '../domain/timeline.js';
import { sampledTraceId, traceLink } from '../observability/tracing.js';
import type { EngineDeps } from './context.js';

/** Events that ask a human to step in carry the heal's story so far: they open an incident. */
const toldWithStory: ReadonlySet<NotificationKind> = new Set(['heal.escalated', 'approval.overdue']);

/** The heal's story as its audit records tell it, up to this move (whose own records are in the event). */
async function timelineFor(heal: Heal, deps: EngineDeps) {
  const newest = await deps.store.queryAudit({ healId: heal.id, newestFirst: true, limit: timelineLimit });
  return timelineOf(newest.reverse());
}

async function alertOf(heal: Heal, deps: EngineDeps): Promise<NotificationEvent['alert']> {
  if (heal.trigger.kind !== 'alert') return null;
  const { fingerprint, startsAt, alertname, externalURL } = heal.trigger;
  // The trigger's own identity: its firing row if it has one (the resolution carries the same labels).
  const rows = await deps.store.alertsByStart([{ fingerprint, startsAt }]);
  const stored = rows.find((a) => a.status === 'firing') ?? rows[0];
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
 * A move's notifications, one per notifier the policy names, about the heal as the move leaves it; they are
 * committed with the move. A policy that names no notifier tells no one (the audit log still has everything).
 */
export async function addressed(
  heal: Heal,
  drafts: readonly NotificationDraft[],
  deps: EngineDeps,
): Promise<OutboxInput[]> {
  const notifiers = deps.policies.current().byName.get(heal.policy)?.notify ?? [];
  if (notifiers.length === 0 || drafts.length === 0) return [];
  const base = deps.settings.publicUrl?.replace(/\/$/, '');
  const at = deps.clock.now().toISOString();
  const alert = await alertOf(heal, deps);
  const timeline = drafts.some((d) => toldWithStory.has(d.kind)) ? await timelineFor(heal, deps) : [];
  return drafts.flatMap(({ kind, ...extra }) => {
    const event: NotificationEvent = {
      kind,
      at,
      heal: {
        id: heal.id,
        policy: heal.policy,
        target: heal.target,
        targetKey: heal.targetKey,
        state: heal.state,
        dryRun: heal.dryRun || kind === 'heal.dry_run',
        openedAt: heal.openedAt,
        steps: heal.steps.map((s) => ({ action: s.action })),
        url: base ? `${base}/v1/heals/${heal.id}` : null,
        consoleUrl: base ? `${base}/#/heals/${encodeURIComponent(heal.id)}` : null,
        pagedAt: heal.pagedAt,
        traceUrl: traceLink(deps.settings.traceUrl, sampledTraceId(heal.traceContext)),
      },
      alert,
      ...(toldWithStory.has(kind) ? { timeline } : {}),
      ...extra,
    };
    return notifiers.map((notifier) => ({ notifier, event }));
  });
}
