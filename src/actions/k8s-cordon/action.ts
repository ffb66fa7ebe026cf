import type { KubeNode } from '../../kube/port.js';
import { type EventInput, recordEvent } from '../k8s/events.js';
import { eventRule } from '../k8s/rbac.js';
import { clusterScopedName, objectRef } from '../k8s/target.js';
import { changed, healMark, refused, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, RolloutState, TargetRef } from '../types.js';
import { type CordonParams, cordonParams } from './params.js';

/** `<healId>/<step>` of the heal step that cordoned the Node (on the Node). */
const cordonFor = 'salve.dev/cordon-for';
/** What the node lifecycle controller adds to a cordoned Node, and what the scheduler honours. */
const unschedulableTaint = 'node.kubernetes.io/unschedulable';

const isCordoned = (node: KubeNode) => node.spec?.unschedulable === true;

const cordonEvent = (node: KubeNode, ctx: ActionContext, note: string): EventInput => ({
  regarding: objectRef('v1', 'Node', node.metadata, ctx.target),
  action: 'Cordon',
  reason: 'Cordoned',
  note,
});

/**
 * What `kubectl cordon` does: read the Node, and when it still takes pods, PATCH (strategic merge)
 * `spec.unschedulable: true`, with this step's mark beside it so that a re-run knows the cordon as its own.
 */
async function cordon(ctx: ActionContext): Promise<ActionResult> {
  if (ctx.target.kind !== 'Node')
    throw refused(`k8s.cordon acts on Nodes, not on ${targetLabel(ctx.target)}`);
  const name = clusterScopedName(ctx.target);
  const label = targetLabel(ctx.target);
  const mark = healMark(ctx);
  const node = await ctx.kube.getNode(name);
  if (isCordoned(node)) {
    const ours = node.metadata.annotations?.[cordonFor] === mark;
    // The change is this step's own: make sure its Event was posted (a crash may have come in between).
    if (ours) await recordEvent(ctx, cordonEvent(node, ctx, `cordoned ${label}`));
    const detail = ours
      ? `${label} was already cordoned by this heal step`
      : `${label} was already cordoned (spec.unschedulable: true): nothing to do`;
    return unchanged(detail, { unschedulable: true, cordonedBy: ours ? 'this step' : 'another' });
  }
  await ctx.kube.patchNode(name, {
    type: 'strategic',
    body: { metadata: { annotations: { [cordonFor]: mark } }, spec: { unschedulable: true } },
  });
  const detail = `cordoned ${label}: no new pods are scheduled on it, its pods keep running`;
  await recordEvent(ctx, cordonEvent(node, ctx, `cordoned ${label}`));
  return changed(detail, { unschedulable: true });
}

export const k8sCordon: Action<CordonParams> = {
  kind: 'k8s.cordon',
  summary: 'Cordon a Node like kubectl cordon: no new pods are scheduled on it, the pods on it keep running',
  notes: [
    'The verify step (`verify.rollout`) waits until the Node reports unschedulable: `spec.unschedulable` and',
    "the node lifecycle controller's `node.kubernetes.io/unschedulable` taint, which the scheduler honours. A",
    'Node cordoned already (by a person, an autoscaler) is left as it is and the step recorded `unchanged`.',
    'Uncordoning is left to a person (`kubectl uncordon`), who knows when the Node is sound again.',
    '',
    'Drain is deliberately not offered: evicting the pods of a Node is a different class of risk (capacity,',
    'PodDisruptionBudgets, stateful workloads, local data), a decision for a person, not for an alert label.',
    '',
    "A Node is cluster-scoped: the policy's target has no `namespace`, and a name an alert fills must be in",
    '`allow.names`. Its RBAC rule is granted cluster-wide by the ClusterRole of',
    '`deploy/kubernetes/components/cluster-scoped`, which a deployment opts into.',
  ].join('\n'),
  params: cordonParams,
  targetKinds: ['Node'],
  example: {},
  rbac: [
    {
      apiGroups: [''],
      resources: ['nodes'],
      verbs: ['get', 'patch'],
      why: 'read the Node, set it unschedulable',
    },
    eventRule,
  ],

  describe(target: TargetRef): string {
    return `would cordon ${targetLabel(target)} (spec.unschedulable: true; its pods keep running)`;
  },

  async preview(ctx): Promise<string> {
    const node = await ctx.kube.getNode(clusterScopedName(ctx.target));
    const label = targetLabel(ctx.target);
    return isCordoned(node)
      ? `${label} is already cordoned: the step would change nothing`
      : `would cordon ${label} (schedulable now)`;
  },

  run(ctx) {
    return cordon(ctx);
  },

  async rolloutStatus(ctx): Promise<RolloutState> {
    const node = await ctx.kube.getNode(clusterScopedName(ctx.target));
    const label = targetLabel(ctx.target);
    if (!isCordoned(node))
      return { state: 'failed', detail: `${label} is schedulable again: it was uncordoned after the step` };
    const tainted = (node.spec?.taints ?? []).some(
      (t) => t.key === unschedulableTaint && t.effect === 'NoSchedule',
    );
    return tainted
      ? {
          state: 'done',
          detail: `${label} reports unschedulable (spec.unschedulable, ${unschedulableTaint} taint)`,
        }
      : { state: 'waiting', detail: `${label} is cordoned; waiting for its ${unschedulableTaint} taint` };
  },
};
