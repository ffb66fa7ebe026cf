import { randomUUID } from 'node:crypto';
import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// The Argo server's submit endpoint: POST /api/v1/workflows/{ns}/submit with a Bearer token. Errors are
// grpc-gateway's {code, message} (6 AlreadyExists -> 409, 5 NotFound -> 404, 16 Unauthenticated -> 401).

export type FakeWorkflow = {
  metadata: { name: string; namespace: string; uid: string; labels: Record<string, string> };
  spec: {
    workflowTemplateRef: { name: string };
    arguments: { parameters: Array<{ name: string; value: string }> };
  };
  status: { phase: string };
};

export type FakeArgo = FakeHttp & { workflows: FakeWorkflow[] };

const grpc = (status: number, code: number, message: string): FakeReply => ({
  status,
  body: { code, message },
});

function parseLabels(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text === '') return {};
  return Object.fromEntries(text.split(',').map((pair) => pair.split('=') as [string, string]));
}

export async function startFakeArgo(options: {
  token: string;
  templates: Record<string, string[]>;
}): Promise<FakeArgo> {
  const workflows: FakeWorkflow[] = [];

  const submit = (namespace: string, req: RecordedRequest): FakeReply => {
    const body = req.body as {
      namespace?: string;
      resourceKind?: string;
      resourceName?: string;
      submitOptions?: { name?: string; generateName?: string; parameters?: string[]; labels?: string };
    };
    if (body.resourceKind !== 'WorkflowTemplate')
      return grpc(400, 3, `unsupported resource kind ${body.resourceKind}`);
    if (body.namespace !== undefined && body.namespace !== namespace)
      return grpc(400, 3, 'namespace mismatch');
    const template = String(body.resourceName);
    if (!(options.templates[namespace] ?? []).includes(template)) {
      return grpc(404, 5, `workflowtemplates.argoproj.io "${template}" not found`);
    }
    const opts = body.submitOptions ?? {};
    const name = opts.name ?? `${opts.generateName ?? `${template}-`}${randomUUID().slice(0, 5)}`;
    if (workflows.some((w) => w.metadata.namespace === namespace && w.metadata.name === name)) {
      return grpc(409, 6, `workflows.argoproj.io "${name}" already exists`);
    }
    const parameters = (opts.parameters ?? []).map((p) => {
      const eq = p.indexOf('=');
      return { name: p.slice(0, eq), value: p.slice(eq + 1) };
    });
    const workflow: FakeWorkflow = {
      metadata: { name, namespace, uid: randomUUID(), labels: parseLabels(opts.labels) },
      spec: { workflowTemplateRef: { name: template }, arguments: { parameters } },
      status: { phase: 'Pending' },
    };
    workflows.push(workflow);
    return { status: 200, body: workflow };
  };

  const http = await startFakeHttp((req) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) return grpc(401, 16, 'token not valid');
    const m = /^\/api\/v1\/workflows\/([^/]+)\/submit$/.exec(req.path);
    if (m === null || req.method !== 'POST') return grpc(404, 5, `Not Found: ${req.path}`);
    return submit(decodeURIComponent(m[1]!), req);
  });
  return { ...http, workflows };
}
