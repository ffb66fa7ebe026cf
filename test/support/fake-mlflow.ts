import { type FakeHttp, type FakeReply, type RecordedRequest, startFakeHttp } from './fake-webhook.js';

// The MLflow Model Registry REST calls mlflow.alias uses, under /api/2.0/mlflow: errors are
// {error_code, message} (RESOURCE_DOES_NOT_EXIST is a 404), GET takes query parameters, other methods JSON,
// versions are strings, and model-versions/search pages with next_page_token.

export type FakeVersionStatus = 'READY' | 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION';

export type FakeModel = {
  name: string;
  versions: Array<{ version: number; status?: FakeVersionStatus; tags?: Record<string, string> }>;
  aliases?: Record<string, number>;
};

export type FakeMlflowOptions = { models: FakeModel[]; token?: string; pageSize?: number };

type ModelState = {
  versions: Map<number, FakeVersionStatus>;
  versionTags: Map<number, Map<string, string>>;
  aliases: Map<string, number>;
  tags: Map<string, string>;
};

export type FakeMlflow = FakeHttp & {
  alias(model: string, alias: string): number | undefined;
  tag(model: string, key: string): string | undefined;
  versionTag(model: string, version: number, key: string): string | undefined;
  setAlias(model: string, alias: string, version: number): void;
  /** Alias moves and tag writes, in order. */
  writes: string[];
};

const api = '/api/2.0/mlflow';

const error = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error_code: code, message },
});

export async function startFakeMlflow(options: FakeMlflowOptions): Promise<FakeMlflow> {
  const models = new Map<string, ModelState>(
    options.models.map((m) => [
      m.name,
      {
        versions: new Map(m.versions.map((v) => [v.version, v.status ?? 'READY'])),
        versionTags: new Map(m.versions.map((v) => [v.version, new Map(Object.entries(v.tags ?? {}))])),
        aliases: new Map(Object.entries(m.aliases ?? {})),
        tags: new Map(),
      },
    ]),
  );
  const writes: string[] = [];
  const pageSize = options.pageSize ?? 2;
  const notFound = (name: string) =>
    error(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);

  const versionJson = (name: string, model: ModelState, version: number) => ({
    name,
    version: String(version),
    status: model.versions.get(version),
    source: `models:/${name}/${version}`,
    aliases: [...model.aliases].filter(([, v]) => v === version).map(([a]) => a),
    tags: [...(model.versionTags.get(version) ?? [])].map(([key, value]) => ({ key, value })),
  });

  const get = (req: RecordedRequest): FakeReply => {
    const name = req.query.get('name') ?? '';
    const model = models.get(name);
    if (model === undefined) return notFound(name);
    return {
      status: 200,
      body: {
        registered_model: {
          name,
          aliases: [...model.aliases].map(([alias, version]) => ({ alias, version: String(version) })),
          tags: [...model.tags].map(([key, value]) => ({ key, value })),
        },
      },
    };
  };

  const search = (req: RecordedRequest): FakeReply => {
    const m = /^name='([^']*)'$/.exec(req.query.get('filter') ?? '');
    if (m === null) return error(400, 'INVALID_PARAMETER_VALUE', 'unsupported filter');
    const name = m[1]!;
    const model = models.get(name);
    const all = model === undefined ? [] : [...model.versions.keys()].sort((a, b) => b - a);
    const offset = Number(req.query.get('page_token') ?? '0');
    const page = all.slice(offset, offset + pageSize);
    const next = offset + pageSize < all.length ? String(offset + pageSize) : undefined;
    return {
      status: 200,
      body: {
        // An empty result is `{}`, as MLflow's protobuf JSON leaves empty lists out.
        ...(page.length > 0 && model ? { model_versions: page.map((v) => versionJson(name, model, v)) } : {}),
        ...(next === undefined ? {} : { next_page_token: next }),
      },
    };
  };

  const post = (req: RecordedRequest, what: 'alias' | 'set-tag' | 'version-tag'): FakeReply => {
    if (!req.contentType?.startsWith('application/json')) {
      return error(400, 'BAD_REQUEST', 'Content-Type must be application/json');
    }
    const body = req.body as Record<string, unknown>;
    const name = String(body.name);
    const model = models.get(name);
    if (model === undefined) return notFound(name);
    if (what === 'set-tag') {
      model.tags.set(String(body.key), String(body.value));
      writes.push(`tag ${String(body.key)}=${String(body.value)}`);
      return { status: 200, body: {} };
    }
    if (typeof body.version !== 'string')
      return error(400, 'INVALID_PARAMETER_VALUE', 'version must be a string');
    const version = Number(body.version);
    if (what === 'version-tag' && model.versions.has(version)) {
      model.versionTags.get(version)?.set(String(body.key), String(body.value));
      writes.push(`version ${version} tag ${String(body.key)}=${String(body.value)}`);
      return { status: 200, body: {} };
    }
    if (!model.versions.has(version)) {
      return error(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Model Version (name=${name}, version=${version}) not found`,
      );
    }
    model.aliases.set(String(body.alias), version);
    writes.push(`alias ${String(body.alias)}=${version}`);
    return { status: 200, body: {} };
  };

  const http = await startFakeHttp((req) => {
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return error(401, 'UNAUTHENTICATED', 'Invalid or missing token');
    }
    const route = `${req.method} ${req.path}`;
    if (route === `GET ${api}/registered-models/get`) return get(req);
    if (route === `GET ${api}/model-versions/search`) return search(req);
    if (route === `POST ${api}/registered-models/alias`) return post(req, 'alias');
    if (route === `POST ${api}/registered-models/set-tag`) return post(req, 'set-tag');
    if (route === `POST ${api}/model-versions/set-tag`) return post(req, 'version-tag');
    return error(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${route}`);
  });

  const model = (name: string) => {
    const found = models.get(name);
    if (found === undefined) throw new Error(`no model ${name}`);
    return found;
  };
  return {
    ...http,
    writes,
    alias: (name, alias) => model(name).aliases.get(alias),
    tag: (name, key) => model(name).tags.get(key),
    versionTag: (name, version, key) => model(name).versionTags.get(version)?.get(key),
    setAlias: (name, alias, version) => {
      model(name).aliases.set(alias, version);
    },
  };
}
