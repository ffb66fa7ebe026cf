import { bearerAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint, retrying, segment, send } from '../http/client.js';
import { healDnsName } from '../http/names.js';
import { httpLiteralParams } from '../http/params.js';
import type { Progress } from '../http/retry.js';
import { changed, targetLabel, unchanged } from '../step.js';
import type { Action, ActionContext, ActionResult, TargetRef } from '../types.js';
import { type ArgoParams, argoParams } from './params.js';

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Labels that let `argo list -l` find what salve submitted; a value Kubernetes would refuse is left out. */
function labelsFor(ctx: ActionContext): string {
  const labels = { 'salve.dev/heal': ctx.heal.id, 'salve.dev/policy': ctx.heal.policy };
  return Object.entries(labels)
    .filter(([, value]) => LABEL_VALUE.test(value))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

function namespaceOf(ctx: { target: TargetRef }, params: ArgoParams): string {
  return params.namespace ?? ctx.target.namespace;
}

async function submit(ctx: ActionContext, ep: HttpEndpoint, params: ArgoParams, progress: Progress) {
  const retried = progress.posted;
  const namespace = namespaceOf(ctx, params);
  const name = healDnsName(ctx);
  const facts = {
    namespace,
    workflow: name,
    workflowTemplate: params.workflowTemplate,
    argo: displayUrl(params.url),
  };
  progress.posted = true;
  const reply = await send(ctx, ep, {
    method: 'POST',
    path: `/api/v1/workflows/${segment(namespace)}/submit`,
    body: {
      namespace,
      resourceKind: 'WorkflowTemplate',
      resourceName: params.workflowTemplate,
      submitOptions: {
        name,
        parameters: Object.entries(params.parameters ?? {}).map(([key, value]) => `${key}=${value}`),
        labels: labelsFor(ctx),
      },
    },
    accept: [409],
  });
  const what = `workflow ${namespace}/${name} from WorkflowTemplate ${params.workflowTemplate}`;
  if (reply.status !== 409) return changed(`submitted ${what}`, facts);
  // A 409 after an unanswered submit of this very run is that submit, applied but not answered.
  if (retried) return changed(`submitted ${what} (confirmed on retry)`, facts);
  return unchanged(`${what} was already submitted`, facts);
}

export const retrainArgo: Action<ArgoParams> = {
  kind: 'retrain.argo',
  summary: 'Submit an Argo WorkflowTemplate as a workflow named after the heal step (one per heal step)',
  params: argoParams,
  targetKinds: ['*'],
  example: {
    url: 'https://argo-server.argo:2746',
    workflowTemplate: 'retrain',
    parameters: { model: '{{ labels.model }}' },
    token: { file: '/var/run/secrets/argo/token' },
  },
  rbac: [],
  literalParams: httpLiteralParams,
  designators: {
    namespace: { allow: 'namespaces' },
    workflowTemplate: { allow: 'workflowTemplates', within: 'namespace' },
  },
  dataParams: { parameters: 'data handed to the WorkflowTemplate the policy names' },

  describe(target: TargetRef, params: ArgoParams): string {
    const namespace = namespaceOf({ target }, params);
    return `would submit Argo WorkflowTemplate ${namespace}/${params.workflowTemplate} at ${displayUrl(params.url)} (for ${targetLabel(target)})`;
  },

  async run(ctx, params): Promise<ActionResult> {
    const ep = createEndpoint('Argo', params, await bearerAuth(ctx, params.token));
    const progress = { posted: false };
    return retrying(ctx, ep, () => submit(ctx, ep, params, progress));
  },
};
