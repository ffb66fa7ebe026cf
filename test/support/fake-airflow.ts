import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// Airflow's DAG run API as reference/slack-and-ml-apis.md describes it: Airflow 2 under /api/v1 with basic
// auth (unknown body keys are a 400), Airflow 3 under /api/v2 with a token from POST /auth/token (unknown
// keys and a missing logical_date are a 422). A repeated dag_run_id or logical date is a 409 on both.

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
};

export type FakeAirflow = FakeHttp & {
  runs: FakeDagRun[];
  setState(runId: string, state: DagRunState): void;
  tokensIssued(): number;
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

export async function startFakeAirflow(options: FakeAirflowOptions): Promise<FakeAirflow> {
  const runs: FakeDagRun[] = [];
  const tokens = new Set<string>();
  const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  const api = options.version === 2 ? '/api/v1' : '/api/v2';

  const authorised = (req: RecordedRequest): boolean => {
    const header = req.headers.authorization ?? '';
    if (options.version === 2) return header === basic;
    return header.startsWith('Bearer ') && tokens.has(header.slice('Bearer '.length));
  };

  const issueToken = (req: RecordedRequest): FakeReply => {
    const body = req.body as { username?: unknown; password?: unknown };
    if (body.username !== options.username || body.password !== options.password) {
      return { status: 401, body: { detail: 'Invalid credentials' } };
    }
    const token = `jwt-${tokens.size + 1}-${Math.random().toString(36).slice(2)}`;
    tokens.add(token);
    return { status: 201, body: { access_token: token } };
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
    const m = new RegExp(`^${api}/dags/([^/]+)/dagRuns(?:/([^/]+))?$`).exec(req.path);
    if (m === null) return problem(404, 'Not Found', `no route ${req.path}`);
    if (!authorised(req))
      return options.version === 2
        ? problem(401, 'Unauthorized', null)
        : { status: 401, body: { detail: 'Not authenticated' } };
    const dag = decodeURIComponent(m[1]!);
    if (!options.dags.includes(dag))
      return problem(404, 'DAG not found', `DAG with dag_id: '${dag}' not found`);
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
    tokensIssued: () => tokens.size,
    setState(runId, state) {
      const run = runs.find((r) => r.dag_run_id === runId);
      if (run === undefined) throw new Error(`no DAG run ${runId}`);
      run.state = state;
    },
  };
}
