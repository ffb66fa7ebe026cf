import type { ActionRegistry } from '../actions/registry.js';
import type { ActionContext, AnyAction } from '../actions/types.js';
import { normaliseAlert, type ReceivedAlert, type WebhookPayload } from '../alerts/schema.js';
import { assessAutonomy, percentText, windowText } from '../domain/autonomy.js';
import { currentMarkBase, markStep, openHealStates, stepNumber } from '../domain/heal.js';
import { storeGuardReads } from '../engine/guard-reads.js';
import { isSalveError } from '../errors.js';
import type { OwnerCache } from '../kube/owner-cache.js';
import { chainText } from '../kube/owner-chain.js';
import type { KubeClient } from '../kube/port.js';
import { readOnlyKube } from '../kube/read-only.js';
import { evaluateAlert } from '../policy/evaluate.js';
import { type RemitBound, remitOf } from '../policy/remit.js';
import type { PolicyTable } from '../policy/table.js';
import type { MatchOutcome, Policy, Resolution } from '../policy/types.js';
import type { Store } from '../store/types.js';
import { evaluateWithOwners } from './owner-resolution.js';

export type ExplainedOutcome =
  | (Extract<MatchOutcome, { outcome: 'refused' }> & { decision: 'refused' })
  /** ownerOf: the API could not say in time; the webhook would keep the alert and try again. */
  | (Extract<MatchOutcome, { outcome: 'deferred' }> & { decision: 'deferred' })
  | {
      outcome: 'match';
      policy: string;
      target: string;
      /** ownerOf: the object the alert names, up to its top controller (`Pod shop/x -> ReplicaSet ... -> Deployment`). */
      resolution?: Resolution & { text: string };
      decision: 'open' | 'attach';
      openHeal: string | null;
      dryRun: boolean;
      approval: boolean;
      guards: {
        cooldown: number;
        maxPerTarget: string | null;
        /**
         * `guards.autonomy`, with the first step's record when salve can read its store: whether that step
         * would act alone now, or wait for approval, in numbers. null: the policy sets no such bound.
         */
        autonomy: string | null;
      };
      /** What the heal may act on and what bounds each designator: a literal, an `allow` list, a namespace. */
      remit: RemitBound[];
      /**
       * `wouldDo` from the policy alone; `preview`, when salve can reach the target, what the step would do
       * now (which revision, which image), or `previewError` when it could not find out.
       */
      steps: Array<{ action: string; wouldDo: string; preview?: string; previewError?: string }>;
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

/** What previews read through: the cluster (writes refused) and the credentials policies name. */
export type PreviewDeps = Pick<ActionContext, 'secrets' | 'tokens' | 'clock' | 'log'> & { kube: KubeClient };

async function previewStep(
  action: AnyAction | undefined,
  params: unknown,
  ctx: Pick<ActionContext, 'heal' | 'target'>,
  deps: PreviewDeps | undefined,
): Promise<{ preview?: string; previewError?: string }> {
  if (!action?.preview || !deps?.kube.configured) return {};
  try {
    const kube = readOnlyKube(deps.kube);
    return {
      preview: await action.preview({ ...deps, ...ctx, kube }, params),
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { previewError: isSalveError(err) ? `${err.code}: ${message}` : message };
  }
}

type ExplainedStep = Extract<ExplainedOutcome, { outcome: 'match' }>['steps'][number];

async function explainSteps(
  o: Extract<MatchOutcome, { outcome: 'match' }>,
  alert: ReceivedAlert,
  ctx: { registry: ActionRegistry; preview?: PreviewDeps },
): Promise<ExplainedStep[]> {
  const steps: ExplainedStep[] = [];
  for (const [index, s] of o.steps.entries()) {
    const heal = {
      id: 'preview',
      policy: o.policy,
      // Counted as the heal this preview stands for would count them, opened now.
      step: stepNumber({ step: index }),
      markStep: markStep({ step: index, markBase: currentMarkBase }),
      attempt: 0,
      ...(alert.status === 'firing' ? { alertStartedAt: alert.startsAt } : {}),
    };
    const action = ctx.registry.get(s.action);
    steps.push({
      action: s.action,
      wouldDo: action?.describe(o.target, s.params) ?? s.action,
      ...(await previewStep(action, s.params, { heal, target: o.target }, ctx.preview)),
    });
  }
  return steps;
}

/** What the autonomy guard would say of the first step now; the bound alone without a store to read. */
async function autonomyNow(
  policy: Policy,
  action: string,
  ctx: { store?: Store; now?: Date },
): Promise<string | null> {
  const rule = policy.guards.autonomy;
  if (!rule) return null;
  if (!ctx.store || !ctx.now) {
    return `${action} needs ${percentText(rule.minSuccessRate)} over at least ${rule.minSamples} in ${windowText(rule.windowMs)} to act alone (its record is in the store of a running salve: POST /v1/policies/test)`;
  }
  const until = ctx.now.toISOString();
  const since = new Date(ctx.now.getTime() - rule.windowMs).toISOString();
  const record = await storeGuardReads(ctx.store).stepRecord(policy.name, 0, { since, until });
  return assessAutonomy(rule, record, action).detail;
}

/** What salve would do with a payload, without committing anything: `salve test` and POST /v1/policies/test. */
export async function explainPayload(
  payload: WebhookPayload,
  ctx: {
    table: PolicyTable;
    registry: ActionRegistry;
    store?: Store;
    dryRun: boolean;
    preview?: PreviewDeps;
    /** Resolves ownerOf targets (reads only); without it they are explained as deferred. */
    owners?: OwnerCache;
    /** Now, for the autonomy guard's window over the store's record. */
    now?: Date;
  },
): Promise<Explanation> {
  const alerts: Explanation['alerts'] = [];
  const received = payload.alerts.map(normaliseAlert);
  const evaluated = await evaluateWithOwners(
    received,
    (alert, resolve) => evaluateAlert(ctx.table, alert, ctx.registry, resolve),
    ctx.owners,
  );
  for (const [i, alert] of received.entries()) {
    const outcomes: ExplainedOutcome[] = [];
    for (const o of evaluated[i] ?? []) {
      if (o.outcome === 'refused' || o.outcome === 'deferred') {
        outcomes.push(
          o.outcome === 'refused' ? { ...o, decision: 'refused' } : { ...o, decision: 'deferred' },
        );
        continue;
      }
      const policy = ctx.table.byName.get(o.policy)!;
      const remit = remitOf(ctx.table.index.byName.get(o.policy)!, o.target, o.steps, ctx.registry);
      const open = ctx.store
        ? (await ctx.store.listHeals({ policy: o.policy, target: o.targetKey, limit: 20 })).find((h) =>
            openStates.has(h.state),
          )
        : undefined;
      const steps = await explainSteps(o, alert, ctx);
      outcomes.push({
        outcome: 'match',
        policy: o.policy,
        target: o.targetKey,
        ...(o.resolution === undefined
          ? {}
          : {
              resolution: {
                ...o.resolution,
                text: chainText(o.resolution.subject.namespace, o.resolution.chain),
              },
            }),
        decision: open ? 'attach' : 'open',
        openHeal: open?.id ?? null,
        dryRun: ctx.dryRun || policy.guards.dryRun,
        approval: policy.guards.approval,
        guards: {
          cooldown: policy.guards.cooldownMs,
          maxPerTarget: policy.guards.maxPerTarget
            ? `${policy.guards.maxPerTarget.count}/${policy.guards.maxPerTarget.windowMs}ms`
            : null,
          autonomy: await autonomyNow(policy, o.steps[0]?.action ?? 'none', {
            ...(ctx.store ? { store: ctx.store } : {}),
            ...(ctx.now ? { now: ctx.now } : {}),
          }),
        },
        // evaluateAlert refuses what is out of bounds, so a match always has its bounds.
        remit: remit.ok ? remit.bounds : [],
        steps,
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
