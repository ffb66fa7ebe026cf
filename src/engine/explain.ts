import type { ActionRegistry } from '../actions/registry.js';
import { normaliseAlert, type WebhookPayload } from '../alerts/schema.js';
import { evaluateAlert } from '../policy/evaluate.js';
import { type RemitBound, remitOf } from '../policy/remit.js';
import type { MatchOutcome, PolicyTable } from '../policy/types.js';
import { openHealStates, type Store } from '../store/types.js';

export type ExplainedOutcome =
  | (Extract<MatchOutcome, { outcome: 'refused' }> & { decision: 'refused' })
  | {
      outcome: 'match';
      policy: string;
      target: string;
      decision: 'open' | 'attach';
      openHeal: string | null;
      dryRun: boolean;
      approval: boolean;
      guards: { cooldown: number; maxPerTarget: string | null };
      /** What the heal may act on and what bounds each designator: a literal, an `allow` list, a namespace. */
      remit: RemitBound[];
      steps: Array<{ action: string; wouldDo: string }>;
    };

export type Explanation = {
  alerts: Array<{
    fingerprint: string;
    status: string;
    alertname: string;
    matched: number;
    outcomes: ExplainedOutcome[];
  }>;
};

const openStates: ReadonlySet<string> = new Set(openHealStates);

/** What salve would do with a payload, without committing anything: `salve test` and POST /v1/policies/test. */
export async function explainPayload(
  payload: WebhookPayload,
  ctx: { table: PolicyTable; registry: ActionRegistry; store?: Store; dryRun: boolean },
): Promise<Explanation> {
  const alerts: Explanation['alerts'] = [];
  for (const raw of payload.alerts) {
    const alert = normaliseAlert(raw);
    const outcomes: ExplainedOutcome[] = [];
    for (const o of evaluateAlert(ctx.table, alert, ctx.registry)) {
      if (o.outcome === 'refused') {
        outcomes.push({ ...o, decision: 'refused' });
        continue;
      }
      const policy = ctx.table.byName.get(o.policy)!;
      const remit = remitOf(ctx.table.index.byName.get(o.policy)!, o.target, o.steps, ctx.registry);
      const open = ctx.store
        ? (await ctx.store.listHeals({ policy: o.policy, target: o.targetKey, limit: 20 })).find((h) =>
            openStates.has(h.state),
          )
        : undefined;
      outcomes.push({
        outcome: 'match',
        policy: o.policy,
        target: o.targetKey,
        decision: open ? 'attach' : 'open',
        openHeal: open?.id ?? null,
        dryRun: ctx.dryRun || policy.guards.dryRun,
        approval: policy.guards.approval,
        guards: {
          cooldown: policy.guards.cooldownMs,
          maxPerTarget: policy.guards.maxPerTarget
            ? `${policy.guards.maxPerTarget.count}/${policy.guards.maxPerTarget.windowMs}ms`
            : null,
        },
        // evaluateAlert refuses what is out of bounds, so a match always has its bounds.
        remit: remit.ok ? remit.bounds : [],
        steps: o.steps.map((s) => ({
          action: s.action,
          wouldDo: ctx.registry.get(s.action)?.describe(o.target, s.params) ?? s.action,
        })),
      });
    }
    alerts.push({
      fingerprint: alert.fingerprint,
      status: alert.status,
      alertname: alert.labels.alertname ?? '',
      matched: outcomes.length,
      outcomes,
    });
  }
  return { alerts };
}
