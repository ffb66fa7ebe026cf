import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// Airflow's DAG run API as reference/slack-and-ml-apis.md describes it and Airflow's own sources behave:
// Airflow 2 under /api/v1 with basic auth (unknown body keys are a 400), Airflow 3 under /api/v2 with a JWT from
// POST /auth/token (unknown keys and a missing logical_date are a 422). A repeated dag_run_id or logical date is
// a 409 on both. A paused DAG accepts a triggered run and leaves it queued; GET/PATCH /dags/{id} read and set
// is_paused; /api/v{1,2}/version answers without credentials; the other version's paths are 404s.

export type DagRunState = 'queued' | 'running' | 'success' | 'failed';
export type FakeDagRun = {
  dag: string;
  dag_run_id: string;
  logical_date: string;
  conf: unknown;
  note: unknown;
  state: DagRunState;
};

export type FakeAirflowOptions = {
  version: 2 | 3;
  username: string;
  password: string;
  dags: string[];
  /** DAGs that start paused. */
  paused?: string[];
  /** Users whose credentials are accepted but who may not touch DAGs (403), as a Viewer role. */
  viewers?: Array<{ username: string; password: string }>;
  /** The `exp` of issued tokens: seconds after `now()` (Airflow's jwt_expiration_time, default 86400). */
  tokenLifetimeSeconds?: number;
  now?: () => number;
};

export type FakeAirflow = FakeHttp & {
  runs: FakeDagRun[];
  setState(runId: string, state: DagRunState): void;
  /** Logins answered with a token: POST /auth/token that succeeded. */
  tokensIssued(): number;
  /** Airflow forgets every token it issued (its secret key rotated): the next request with one is a 401. */
  revokeTokens(): void;
  isPaused(dag: string): boolean;
  pause(dag: string): void;
};

const problem = (status: number, title: string, detail: unknown): FakeReply => ({
  status,
  body: {
    status,
    title,
    detail,
    type: `https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html#section/Errors/${title}`,
  },
});

const TRIGGER_KEYS = new Set([
  'dag_run_id',
  'data_interval_start',
  'data_interval_end',
  'logical_date',
  'run_after',
  'conf',
  'note',
]);
const TZ_AWARE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startFakeAirflow(options: FakeAirflowOptions): Promise<FakeAirflow> {
  const runs: FakeDagRun[] = [];
  const tokens = new Map<string, string>();
  let issued = 0;
  const paused = new Set(options.paused ?? []);
  const now = options.now ?? Date.now;
  const users = [{ username: options.username, password: options.password, role: 'admin' }].concat(
    (options.viewers ?? []).map((v) => ({ ...v, role: 'viewer' })),
  );
  const basic = (u: { username: string; password: string }) =>
    `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`;
  const api = options.version === 2 ? '/api/v1' : '/api/v2';

  /** The role of the caller, or undefined when its credentials are refused. */
  const roleOf = (req: RecordedRequest): string | undefined => {
    const header = req.headers.authorization ?? '';
    if (options.version === 2) return users.find((u) => header === basic(u))?.role;
    return header.startsWith('Bearer ') ? tokens.get(header.slice('Bearer '.length)) : undefined;
  };

  const issueToken = (req: RecordedRequest): FakeReply => {
    const body = req.body as { username?: unknown; password?: unknown };
    const user = users.find((u) => u.username === body.username && u.password === body.password);
    if (user === undefined) return { status: 401, body: { detail: 'Invalid credentials' } };
    issued += 1;
    const exp = Math.floor(now() / 1000) + (options.tokenLifetimeSeconds ?? 86_400);
    const token = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64({ sub: user.username, n: issued, exp })}.sig${issued}`;
    tokens.set(token, user.role);
    return { status: 201, body: { access_token: token } };
  };

  const dagRoute = (dag: string, req: RecordedRequest): FakeReply => {
    if (req.method === 'PATCH') {
      const body = req.body as { is_paused?: unknown };
      if (typeof body.is_paused !== 'boolean') return problem(400, 'Bad Request', 'is_paused is required');
      if (body.is_paused) paused.add(dag);
      else paused.delete(dag);
    } else if (req.method !== 'GET') {
      return problem(405, 'Method Not Allowed', null);
    }
    return { status: 200, body: { dag_id: dag, is_paused: paused.has(dag), is_active: true } };
  };

  const trigger = (dag: string, req: RecordedRequest): FakeReply => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const unknown = Object.keys(body).filter((k) => !TRIGGER_KEYS.has(k));
    if (options.version === 3) {
      const errors = unknown.map((k) => ({
        type: 'extra_forbidden',
        loc: ['body', k],
        msg: 'Extra inputs are not permitted',
      }));
      if (!('logical_date' in body))
        errors.push({ type: 'missing', loc: ['body', 'logical_date'], msg: 'Field required' });
      if (errors.length > 0) return { status: 422, body: { detail: errors } };
    } else if (unknown.length > 0) {
      return problem(400, 'Bad Request', `{'${unknown[0]}': ['Unknown field.']}`);
    }
    const logical = body.logical_date;
    if (
      logical !== null &&
      logical !== undefined &&
      (typeof logical !== 'string' || !TZ_AWARE.test(logical))
    ) {
      return problem(400, 'Bad Request', `logical_date must be timezone-aware: ${String(logical)}`);
    }
    const runId = typeof body.dag_run_id === 'string' ? body.dag_run_id : `manual__${logical}`;
    if (runs.some((r) => r.dag === dag && r.dag_run_id === runId)) {
      return problem(
        409,
        'Conflict',
        `DAGRun with DAG ID: '${dag}' and DAGRun ID: '${runId}' already exists`,
      );
    }
    if (typeof logical === 'string' && runs.some((r) => r.dag === dag && r.logical_date === logical)) {
      return problem(
        409,
        'Conflict',
        `DAGRun with DAG ID: '${dag}' and Logical Date: '${logical}' already exists`,
      );
    }
    const run: FakeDagRun = {
      dag,
      dag_run_id: runId,
      logical_date: String(logical),
      conf: body.conf ?? {},
      note: body.note,
      state: 'queued',
    };
    runs.push(run);
    return { status: 200, body: { dag_id: dag, ...run } };
  };

  const http = await startFakeHttp((req) => {
    if (options.version === 3 && req.method === 'POST' && req.path === '/auth/token') return issueToken(req);
    if (req.method === 'GET' && req.path === `${api}/version`) {
      return {
        status: 200,
        body: { version: options.version === 2 ? '2.10.5' : '3.0.2', git_version: null },
      };
    }
    const dagOnly = new RegExp(`^${api}/dags/([^/]+)$`).exec(req.path);
    const m = dagOnly ?? new RegExp(`^${api}/dags/([^/]+)/dagRuns(?:/([^/]+))?$`).exec(req.path);
    if (m === null) {
      return options.version === 2
        ? problem(404, 'Not Found', 'The requested URL was not found on the server.')
        : { status: 404, body: { detail: 'Not Found' } };
    }
    const role = roleOf(req);
    if (role === undefined)
      return options.version === 2
        ? problem(401, 'Unauthorized', null)
        : { status: 401, body: { detail: 'Not authenticated' } };
    if (role !== 'admin') {
      return options.version === 2
        ? problem(403, 'Forbidden', 'You do not have permission to perform this action')
        : { status: 403, body: { detail: 'Forbidden' } };
    }
    const dag = decodeURIComponent(m[1]!);
    if (!options.dags.includes(dag))
      return problem(404, 'DAG not found', `DAG with dag_id: '${dag}' not found`);
    if (dagOnly !== null) return dagRoute(dag, req);
    if (m[2] === undefined && req.method === 'POST') return trigger(dag, req);
    if (m[2] !== undefined && req.method === 'GET') {
      const runId = decodeURIComponent(m[2]);
      const run = runs.find((r) => r.dag === dag && r.dag_run_id === runId);
      return run
        ? { status: 200, body: { dag_id: dag, ...run } }
        : problem(
            404,
            'DAGRun not found',
            `DAGRun with DAG ID: '${dag}' and DagRun ID: '${runId}' not found`,
          );
    }
    return problem(405, 'Method Not Allowed', null);
  });

  return {
    ...http,
    runs,
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    isPaused: (dag) => paused.has(dag),
    pause: (dag) => {
      paused.add(dag);
    },
    setState(runId, state) {
      const run = runs.find((r) => r.dag_run_id === runId);
      if (run === undefined) throw new Error(`no DAG run ${runId}`);
      run.state = state;
    },
  };
}
