import { bearerAuth } from '../http/auth.js';
import { createEndpoint, displayUrl, type HttpEndpoint, segment, send } from '../http/client.js';
import { healDnsName } from '../http/names.js';
import { httpDeprecatedParams, httpLiteralParams } from '../http/params.js';
import { changed, refused, targetLabel, unchanged } from '../step.js';
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
  const namespace = params.namespace ?? ctx.target.namespace;
  if (namespace === undefined)
    throw refused(`${targetLabel(ctx.target)} is cluster-scoped: write the Workflow's namespace in the step`);
  return namespace;
}

async function submit(ctx: ActionContext, ep: HttpEndpoint, params: ArgoParams) {
  const namespace = namespaceOf(ctx, params);
  const name = healDnsName(ctx);
  const facts = {
    namespace,
    workflow: name,
    workflowTemplate: params.workflowTemplate,
    argo: displayUrl(params.url),
  };
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
  // The name is the heal step's: a 409 is this step's own submit, from an earlier attempt (whose answer may have
  // been lost) or a run a crash cut short.
  return unchanged(`${what} was already submitted by this heal step`, facts);
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
  deprecatedParams: httpDeprecatedParams,
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
    return submit(ctx, ep, params);
  },
};
