import { randomUUID } from 'node:crypto';
import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// Prefect 3's REST API as its server source behaves (github.com/PrefectHQ/prefect, src/prefect/server/):
// - api/deployments.py `read_deployment_by_name`: GET /deployments/name/{flow_name}/{deployment_name} -> the
//   DeploymentResponse (schemas/responses.py: id, name, flow_id, paused, status READY | NOT_READY, parameters,
//   tags, enforce_parameter_schema, ...), or 404 {"detail": "Deployment not found"}.
// - api/deployments.py `create_flow_run_from_deployment`: POST /deployments/{id:uuid}/create_flow_run with a
//   DeploymentFlowRunCreate (schemas/actions.py: an ActionBaseModel, extra="forbid": an unknown key is a 422
//   from api/server.py `validation_exception_handler`, {exception_message: "Invalid request received.",
//   exception_detail: [...], request_body}). Parameters are the deployment's, updated with the run's; tags are
//   the deployment's and the run's; without a state the run starts SCHEDULED. With enforce_parameter_schema a
//   parameter that does not fit the schema is a 409 {"detail": "Error creating flow run: ..."}. Answers 201
//   when the run was created by this request and 200 otherwise: models/flow_runs.py `create_flow_run` inserts
//   with ON CONFLICT DO NOTHING on (flow_id, idempotency_key) and returns the run already there, unchanged.
// - A path id that is not a UUID matches no route: 404 {"detail": "Not Found"} (FastAPI's default).
// - api/flow_runs.py `read_flow_run`: GET /flow_runs/{id} -> FlowRunResponse (id, name, state {type, name,
//   message}, state_type, state_name, idempotency_key, deployment_id, parameters, tags), 404 "Flow run not
//   found"; `read_flow_runs`: POST /flow_runs/filter {flow_runs: {idempotency_key: {any_}, deployment_id:
//   {any_}}, limit} -> a list.
// - schemas/states.py: state types SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, CRASHED, PAUSED,
//   CANCELLING; terminal: COMPLETED, FAILED, CANCELLED, CRASHED.
// - api/server.py: with PREFECT_SERVER_API_AUTH_STRING set, every request needs `Authorization: Basic
//   base64(auth string)`, else 401 {"exception_message": "Unauthorized"}. Prefect Cloud serves the same API
//   under /api/accounts/{account}/workspaces/{workspace} with `Authorization: Bearer <API key>`.
// - services/scheduler.py skips paused deployments; nothing else does: a run created from a paused deployment
//   still runs.

export type PrefectStateType =
  | 'SCHEDULED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'CRASHED'
  | 'PAUSED'
  | 'CANCELLING';

export type FakeDeployment = {
  flow: string;
  name: string;
  paused?: boolean;
  status?: 'READY' | 'NOT_READY';
  parameters?: Record<string, unknown>;
  tags?: string[];
  /** Parameter name -> JSON type the schema requires ('string', 'integer', ...): enforce_parameter_schema. */
  schema?: Record<string, string>;
};

export type FakeFlowRun = {
  id: string;
  name: string;
  flow_id: string;
  deployment_id: string;
  idempotency_key: string | null;
  parameters: Record<string, unknown>;
  tags: string[];
  state: { type: PrefectStateType; name: string; message: string | null };
  created: string;
};

export type FakePrefectAuth =
  | { kind: 'none' }
  | { kind: 'basic'; authString: string }
  | { kind: 'cloud'; account: string; workspace: string; apiKey: string; readOnlyKey?: string };

export type FakePrefect = FakeHttp & {
  /** The API base URL salve is given: `<origin>/api`, or Cloud's account/workspace path. */
  apiUrl: string;
  runs: FakeFlowRun[];
  deploymentId(flow: string, name: string): string;
  setState(runId: string, type: PrefectStateType, message?: string): void;
  pause(flow: string, name: string): void;
};

const STATE_NAMES: Record<PrefectStateType, string> = {
  SCHEDULED: 'Scheduled',
  PENDING: 'Pending',
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  CRASHED: 'Crashed',
  PAUSED: 'Paused',
  CANCELLING: 'Cancelling',
};

// schemas/actions.py DeploymentFlowRunCreate.
const CREATE_KEYS = new Set([
  'state',
  'name',
  'parameters',
  'enforce_parameter_schema',
  'context',
  'infrastructure_document_id',
  'empirical_policy',
  'tags',
  'idempotency_key',
  'labels',
  'parent_task_run_id',
  'work_queue_name',
  'job_variables',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const detail = (status: number, text: string): FakeReply => ({ status, body: { detail: text } });

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

export async function startFakePrefect(
  options: { deployments: FakeDeployment[]; auth?: FakePrefectAuth } = { deployments: [] },
): Promise<FakePrefect> {
  const auth = options.auth ?? { kind: 'none' };
  const prefix =
    auth.kind === 'cloud' ? `/api/accounts/${auth.account}/workspaces/${auth.workspace}` : '/api';
  const flows = new Map<string, string>();
  const deployments = options.deployments.map((d) => {
    if (!flows.has(d.flow)) flows.set(d.flow, randomUUID());
    return { ...d, id: randomUUID(), flow_id: flows.get(d.flow)! };
  });
  type Deployment = (typeof deployments)[number];
  const runs: FakeFlowRun[] = [];

  const deploymentReply = (d: Deployment) => ({
    id: d.id,
    name: d.name,
    flow_id: d.flow_id,
    paused: d.paused ?? false,
    status: d.status ?? 'READY',
    parameters: d.parameters ?? {},
    tags: d.tags ?? [],
    enforce_parameter_schema: d.schema !== undefined,
    work_pool_name: 'default',
  });
  const runReply = (r: FakeFlowRun) => ({
    ...r,
    state_type: r.state.type,
    state_name: r.state.name,
  });

  /** The caller's rights: undefined when refused (401), 'read' for a read-only key (403 on writes). */
  function rightsOf(req: RecordedRequest): 'write' | 'read' | undefined {
    const header = req.headers.authorization;
    if (auth.kind === 'none') return 'write';
    if (auth.kind === 'basic') {
      const expected = `Basic ${Buffer.from(auth.authString).toString('base64')}`;
      return header === expected ? 'write' : undefined;
    }
    if (header === `Bearer ${auth.apiKey}`) return 'write';
    if (auth.readOnlyKey !== undefined && header === `Bearer ${auth.readOnlyKey}`) return 'read';
    return undefined;
  }

  function create(d: Deployment, req: RecordedRequest): FakeReply {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const extra = Object.keys(body).filter((k) => !CREATE_KEYS.has(k));
    if (extra.length > 0) {
      return {
        status: 422,
        body: {
          exception_message: 'Invalid request received.',
          exception_detail: extra.map((k) => ({
            type: 'extra_forbidden',
            loc: ['body', k],
            msg: 'Extra inputs are not permitted',
          })),
          request_body: body,
        },
      };
    }
    const parameters = { ...(d.parameters ?? {}), ...((body.parameters as Record<string, unknown>) ?? {}) };
    for (const [name, type] of Object.entries(d.schema ?? {})) {
      if (name in parameters && jsonType(parameters[name]) !== type) {
        const got = JSON.stringify(parameters[name]);
        return detail(
          409,
          `Error creating flow run: Validation failed for field '${name}'. Failure reason: ${got} is not of type '${type}'`,
        );
      }
    }
    const key = typeof body.idempotency_key === 'string' ? body.idempotency_key : null;
    const existing =
      key === null ? undefined : runs.find((r) => r.flow_id === d.flow_id && r.idempotency_key === key);
    if (existing !== undefined) return { status: 200, body: runReply(existing) };
    const run: FakeFlowRun = {
      id: randomUUID(),
      name: typeof body.name === 'string' ? body.name : `fake-${runs.length + 1}`,
      flow_id: d.flow_id,
      deployment_id: d.id,
      idempotency_key: key,
      parameters,
      tags: [...new Set([...(d.tags ?? []), ...((body.tags as string[]) ?? [])])],
      state: { type: 'SCHEDULED', name: 'Scheduled', message: null },
      created: new Date().toISOString(),
    };
    runs.push(run);
    return { status: 201, body: runReply(run) };
  }

  function filter(req: RecordedRequest): FakeReply {
    const body = (req.body ?? {}) as {
      flow_runs?: { idempotency_key?: { any_?: string[] }; deployment_id?: { any_?: string[] } };
      limit?: number;
    };
    const keys = body.flow_runs?.idempotency_key?.any_;
    const ids = body.flow_runs?.deployment_id?.any_;
    const found = runs
      .filter((r) => keys === undefined || (r.idempotency_key !== null && keys.includes(r.idempotency_key)))
      .filter((r) => ids === undefined || ids.includes(r.deployment_id))
      .reverse(); // ID_DESC, newest first, as near as the fake gets
    return { status: 200, body: found.slice(0, body.limit ?? 200).map(runReply) };
  }

  function route(req: RecordedRequest): FakeReply {
    if (!req.path.startsWith(`${prefix}/`)) return detail(404, 'Not Found');
    const rights = rightsOf(req);
    if (rights === undefined) {
      return auth.kind === 'basic'
        ? { status: 401, body: { exception_message: 'Unauthorized' } }
        : detail(401, 'Invalid authentication credentials');
    }
    const path = req.path.slice(prefix.length);
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    if (req.method === 'GET' && parts.length === 4 && parts[0] === 'deployments' && parts[1] === 'name') {
      const d = deployments.find((x) => x.flow === parts[2] && x.name === parts[3]);
      return d === undefined
        ? detail(404, 'Deployment not found')
        : { status: 200, body: deploymentReply(d) };
    }
    if (
      req.method === 'POST' &&
      parts.length === 3 &&
      parts[0] === 'deployments' &&
      parts[2] === 'create_flow_run'
    ) {
      if (!UUID.test(parts[1]!)) return detail(404, 'Not Found');
      if (rights !== 'write') return detail(403, 'Forbidden: this API key may not create flow runs');
      const d = deployments.find((x) => x.id === parts[1]);
      return d === undefined ? detail(404, 'Deployment not found') : create(d, req);
    }
    if (req.method === 'GET' && parts.length === 2 && parts[0] === 'flow_runs') {
      if (!UUID.test(parts[1]!)) return detail(404, 'Not Found');
      const run = runs.find((r) => r.id === parts[1]);
      return run === undefined ? detail(404, 'Flow run not found') : { status: 200, body: runReply(run) };
    }
    if (req.method === 'POST' && path === '/flow_runs/filter') return filter(req);
    return detail(404, 'Not Found');
  }

  const http = await startFakeHttp(route);
  const find = (flow: string, name: string) => {
    const d = deployments.find((x) => x.flow === flow && x.name === name);
    if (d === undefined) throw new Error(`no deployment ${flow}/${name}`);
    return d;
  };
  return {
    ...http,
    apiUrl: `${http.url}${prefix}`,
    runs,
    deploymentId: (flow, name) => find(flow, name).id,
    setState(runId, type, message) {
      const run = runs.find((r) => r.id === runId);
      if (run === undefined) throw new Error(`no flow run ${runId}`);
      run.state = { type, name: STATE_NAMES[type], message: message ?? null };
    },
    pause(flow, name) {
      find(flow, name).paused = true;
    },
  };
}
