import { randomUUID } from 'node:crypto';
import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// Kubeflow Pipelines v2beta1 runs: POST /apis/v2beta1/runs creates (display names are not unique: the same
// body twice is two runs), GET /apis/v2beta1/runs?filter=<JSON predicates> lists, with `{}` for none.

export type FakeRun = {
  run_id: string;
  display_name: string;
  experiment_id: string | undefined;
  pipeline_version_reference: { pipeline_id: string; pipeline_version_id?: string };
  runtime_config: { parameters?: Record<string, unknown> };
  state: string;
};

export type FakeKubeflow = FakeHttp & { runs: FakeRun[] };

const status = (http: number, code: number, message: string): FakeReply => ({
  status: http,
  body: { error: message, code, message, details: [] },
});

type Predicate = { key?: string; operation?: string; string_value?: string };

/** The filter's predicates, or null when it is not valid JSON (KFP answers 400 then). */
function parseFilter(filter: string | null): Predicate[] | null {
  if (filter === null) return [];
  try {
    return (JSON.parse(filter) as { predicates?: Predicate[] }).predicates ?? [];
  } catch {
    return null;
  }
}

// Only what salve sends is supported: display_name EQUALS.
const matches = (run: FakeRun, predicates: Predicate[]): boolean =>
  predicates.every(
    (p) => p.key === 'display_name' && p.operation === 'EQUALS' && run.display_name === p.string_value,
  );

export async function startFakeKubeflow(options: {
  token: string;
  pipelines: string[];
}): Promise<FakeKubeflow> {
  const runs: FakeRun[] = [];

  const list = (req: RecordedRequest): FakeReply => {
    const predicates = parseFilter(req.query.get('filter'));
    if (predicates === null) return status(400, 3, 'Invalid input error: failed to parse filter');
    const found = runs.filter((r) => matches(r, predicates));
    const pageSize = Number(req.query.get('page_size') ?? '20');
    return {
      status: 200,
      body: found.length === 0 ? {} : { runs: found.slice(0, pageSize), total_size: found.length },
    };
  };

  const create = (req: RecordedRequest): FakeReply => {
    const body = req.body as Partial<FakeRun>;
    if (typeof body.display_name !== 'string' || body.display_name === '') {
      return status(400, 3, 'Invalid input error: run display_name is required');
    }
    const pipelineId = body.pipeline_version_reference?.pipeline_id;
    if (pipelineId === undefined || !options.pipelines.includes(pipelineId)) {
      return status(
        404,
        5,
        `Failed to get pipeline: ResourceNotFoundError: Pipeline ${pipelineId} not found`,
      );
    }
    const run: FakeRun = {
      run_id: randomUUID(),
      display_name: body.display_name,
      experiment_id: body.experiment_id,
      pipeline_version_reference: body.pipeline_version_reference!,
      runtime_config: body.runtime_config ?? {},
      state: 'PENDING',
    };
    runs.push(run);
    return { status: 200, body: run };
  };

  const http = await startFakeHttp((req) => {
    if (req.headers.authorization !== `Bearer ${options.token}`) return status(401, 16, 'Unauthenticated');
    if (req.path !== '/apis/v2beta1/runs') return status(404, 5, `Not Found: ${req.path}`);
    if (req.method === 'GET') return list(req);
    if (req.method === 'POST') return create(req);
    return status(405, 12, 'Method Not Allowed');
  });
  return { ...http, runs };
}
